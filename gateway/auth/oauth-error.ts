// Token endpoint errors as RFC 6749 section 5.2 defines them: a JSON body
// `{ error, error_description }`, 400 except for failed client authentication (`invalid_client`),
// which is 401. `detail` is for the node's log only: the precise reason behind a description that
// is kept vague on purpose (so the answer does not say which client ids exist).

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

export class OAuthError extends Error {
  readonly status: 400 | 401;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly detail: string = description,
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
    this.status = error === 'invalid_client' ? 401 : 400;
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}
