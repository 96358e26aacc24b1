// Parses Bundle.entry.request.url (relative to the base, or absolute under it) into the parts
// of a RESTful interaction.

import { badRequest, OperationOutcomeError } from '@medplum/core';

export interface EntryTarget {
  type: string;
  id?: string;
  versionId?: string;
  history: boolean;
  query?: URLSearchParams;
}

export function parseEntryUrl(url: string, baseUrl: string): EntryTarget {
  let relative = url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    if (!url.startsWith(`${baseUrl}/`)) throw new OperationOutcomeError(badRequest(`Entry URL ${url} is not on this server`));
    relative = url.slice(baseUrl.length + 1);
  }
  const mark = relative.indexOf('?');
  const path = mark < 0 ? relative : relative.slice(0, mark);
  const query = mark < 0 ? undefined : new URLSearchParams(relative.slice(mark + 1));
  const [type, id, history, versionId, ...rest] = path.split('/').filter(Boolean);
  const shapeOk =
    type !== undefined && rest.length === 0 && (history === undefined || history === '_history') && !(query && id);
  if (!shapeOk) throw new OperationOutcomeError(badRequest(`Unsupported entry URL ${url}`));
  return { type, id, versionId, history: history === '_history', query };
}
