// Where consortium members enter the FHIR routes. A request whose bearer credential is an ES256K
// JWT is a member request: it is authenticated here (once per request, batch entries included)
// instead of by the SMART token check, may only read, and is served by a ConsentView. Every other
// request goes to the SMART check and the shared store unchanged.

import { OperationOutcomeError, forbidden } from '@medplum/core';
import type { FastifyRequest } from 'fastify';
import type { Authorize } from '../fhir/authorize.js';
import type { ResourceService } from '../store/service.js';
import type { MemberAuthenticator, MemberPrincipal } from './member-authenticator.js';
import { isMemberJwt } from './member-jwt.js';

const MEMBER_INTERACTIONS = new Set(['read', 'vread', 'history', 'search']);

export class MemberAccess {
  private readonly principals = new WeakMap<FastifyRequest, Promise<MemberPrincipal>>();
  /** Per request: a batch Bundle asks once per entry. */
  private readonly memberRequests = new WeakMap<FastifyRequest, boolean>();

  constructor(
    private readonly authenticator: MemberAuthenticator,
    private readonly shared: ResourceService,
    private readonly view: (principal: () => Promise<MemberPrincipal>) => ResourceService,
  ) {}

  isMemberRequest(request: FastifyRequest): boolean {
    let member = this.memberRequests.get(request);
    if (member === undefined) {
      const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
      member = match !== null && isMemberJwt(match[1]!);
      this.memberRequests.set(request, member);
    }
    return member;
  }

  principalOf(request: FastifyRequest): Promise<MemberPrincipal> {
    let principal = this.principals.get(request);
    if (!principal) {
      principal = this.authenticator.authenticate(request.headers.authorization);
      this.principals.set(request, principal);
    }
    return principal;
  }

  /** The FHIR routes' authorize: member JWTs here, everything else to `system`. */
  authorize(system: Authorize): Authorize {
    return async (request, type, interaction) => {
      if (!this.isMemberRequest(request)) return system(request, type, interaction);
      await this.principalOf(request);
      if (!MEMBER_INTERACTIONS.has(interaction)) {
        throw new OperationOutcomeError({
          ...forbidden,
          issue: [{ severity: 'error', code: 'forbidden', details: { text: `Consortium members may only read and search (not ${interaction})` } }],
        });
      }
    };
  }

  serviceFor(request: FastifyRequest): ResourceService {
    return this.isMemberRequest(request) ? this.view(() => this.principalOf(request)) : this.shared;
  }
}
