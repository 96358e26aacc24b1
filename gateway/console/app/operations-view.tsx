// Operations, for hospital IT: is the node healthy, is data coming in, is it anchored, what is
// refused. /health (no token) and /console/api/operations (the session's token), every 2 s.
import type { ConsoleConfig } from './console-config.js';
import { transactionUrl } from './console-config.js';
import type { ViewProps } from './console-views.js';
import { count, duration, rate, shortHash, when } from './display-format.js';
import { nodeJson } from './node-api.js';
import { usePolled } from './polling.js';

interface Health {
  status: 'ok' | 'degraded' | 'failing';
  chainId: number;
  anchoring: { state: string; detail?: string; lastAnchoredSequence?: number; lastAnchoredAt?: string };
  chain?: { reachable: boolean; detail?: string; lastAnswerAt?: string; blockNumber?: number };
  adapters?: Record<string, { state?: string; lastError?: string; detail?: string; lastSuccess?: string; connections?: number; host?: string; port?: number; endpoints?: string[]; kickOff?: string; topic?: string }>;
}

interface Operations {
  now: string;
  intake: { journaledTotal: number; perSecond10s: number; perSecond60s: number };
  backlog: { leavesWaiting: number; closedBatchesWaiting: number; oldestWaitingAt: string | null };
  anchoring: { oldestUnanchoredAgeMs: number | null; lastAnchorLagMs: number | null };
  batches: Array<{ seq: number; leafCount: number; status: 'closed' | 'anchored'; closedAt: string; anchoredAt: string | null; txHash: string | null; blockNumber: number | null }>;
  refusals: Array<{ reason: string; count: number }>;
}

const ADAPTER_NAMES: Record<string, string> = { hl7: 'HL7 v2 (MLLP)', kafka: 'Kafka', restSync: 'FHIR REST sync', subscriptions: 'Subscriptions', bulkExport: 'Bulk Data export' };

function Stat({ label, value, note, tone }: { label: string; value: string; note?: string; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div class={`stat ${tone ?? ''}`}>
      <dt>{label}</dt>
      <dd>
        <span class="value">{value}</span>
        {note && <span class="note">{note}</span>}
      </dd>
    </div>
  );
}

function TxLink({ config, txHash }: { config: ConsoleConfig; txHash: string }) {
  const url = transactionUrl(config, txHash);
  return url ? (
    <a href={url} rel="noopener noreferrer" target="_blank" title={txHash}>
      {shortHash(txHash)}
    </a>
  ) : (
    <code title={txHash}>{shortHash(txHash)}</code>
  );
}

export function OperationsView({ config, session }: ViewProps) {
  const health = usePolled(async () => (await nodeJson<Health>('/health', 'its health', { accept: [200, 503] })).body, []);
  const ops = usePolled(async () => (await nodeJson<Operations>('/console/api/operations', 'its operations figures', { token: session.accessToken })).body, [session.accessToken]);
  const h = health.data;
  const o = ops.data;
  const tone = (ok: boolean, warn = false) => (ok ? 'ok' : warn ? 'warn' : 'bad');
  const adapters = Object.entries(h?.adapters ?? {});

  return (
    <div class="operations">
      {(health.error || ops.error) && (
        <p role="alert" class="error">
          {health.error ?? ops.error}
        </p>
      )}
      <p class="live" aria-live="polite">
        {ops.updatedAt ? `Live: updated ${when(ops.updatedAt)}` : 'Loading…'}
      </p>
      <dl class="stats" aria-label="Node figures">
        <Stat label="Node" value={h ? h.status : '…'} note={h ? `anchoring ${h.anchoring.state}` : undefined} tone={h ? tone(h.status === 'ok', h.status === 'degraded') : undefined} />
        <Stat
          label="Chain"
          value={h?.chain ? (h.chain.reachable ? 'reachable' : 'unreachable') : '…'}
          note={h?.chain?.blockNumber !== undefined ? `chain ${h.chainId}, block ${count(h.chain.blockNumber)}` : h?.chain?.detail}
          tone={h?.chain ? tone(h.chain.reachable) : undefined}
        />
        <Stat label="Intake rate" value={o ? rate(o.intake.perSecond10s) : '…'} note={o ? `${rate(o.intake.perSecond60s)} over a minute, ${count(o.intake.journaledTotal)} journaled` : undefined} />
        <Stat
          label="Journal backlog"
          value={o ? count(o.backlog.leavesWaiting) : '…'}
          note={o ? `versions waiting, ${count(o.backlog.closedBatchesWaiting)} closed batches to anchor` : undefined}
          tone={o ? tone(o.backlog.closedBatchesWaiting < 3, o.backlog.closedBatchesWaiting < 10) : undefined}
        />
        <Stat
          label="Anchoring lag"
          value={o ? duration(o.anchoring.oldestUnanchoredAgeMs ?? 0) : '…'}
          note={o ? `oldest unanchored version; last batch took ${duration(o.anchoring.lastAnchorLagMs)}` : undefined}
          tone={o ? tone((o.anchoring.oldestUnanchoredAgeMs ?? 0) < 10_000, (o.anchoring.oldestUnanchoredAgeMs ?? 0) < 60_000) : undefined}
        />
      </dl>

      <h2 id="batches-title">Batches and their anchors</h2>
      {o && o.batches.length === 0 ? (
        <p class="empty">No batch yet. Send a resource to the FHIR API at {config.fhirBase} (or import with `npx careledger import`): it is batched and anchored within seconds.</p>
      ) : (
        <div class="table-wrap" role="region" aria-labelledby="batches-title" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Sequence</th>
                <th scope="col">Versions</th>
                <th scope="col">Closed</th>
                <th scope="col">Anchored</th>
                <th scope="col">Lag</th>
                <th scope="col">Transaction</th>
                <th scope="col">Block</th>
              </tr>
            </thead>
            <tbody>
              {o?.batches.map((b) => (
                <tr key={b.seq}>
                  <td>{count(b.seq)}</td>
                  <td>{count(b.leafCount)}</td>
                  <td>{when(b.closedAt)}</td>
                  <td>{b.anchoredAt ? when(b.anchoredAt) : <span class="badge warn">waiting</span>}</td>
                  <td>{b.anchoredAt ? duration(Date.parse(b.anchoredAt) - Date.parse(b.closedAt)) : '—'}</td>
                  <td>{b.txHash ? <TxLink config={config} txHash={b.txHash} /> : '—'}</td>
                  <td>{b.blockNumber !== null ? count(b.blockNumber) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <div class="columns">
        <div>
          <h2>EHR adapters</h2>
          {adapters.length === 0 ? (
            <p class="empty">No EHR feed is on. Set HL7_MLLP_PORT, KAFKA_BROKERS, EHR_FHIR_BASE or SUBSCRIPTIONS_FILE (docs/adapters.md) to feed this node from an EHR.</p>
          ) : (
            <ul class="adapters">
              {adapters.map(([name, a]) => (
                <li key={name}>
                  <strong>{ADAPTER_NAMES[name] ?? name}</strong>: {a.state ?? (a.connections !== undefined ? `${count(a.connections)} connections` : 'on')}
                  {a.lastSuccess && <span class="note"> last success {when(a.lastSuccess)}</span>}
                  {(a.lastError ?? (a.state && a.state !== 'ok' && a.state !== 'connected' ? a.detail : undefined)) && <span class="error-text"> last error: {a.lastError ?? a.detail}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h2 id="refusals-title">Refused requests</h2>
          {o && o.refusals.length === 0 ? (
            <p class="empty">Nothing refused since the node started.</p>
          ) : (
            <table aria-labelledby="refusals-title">
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col">Count</th>
                </tr>
              </thead>
              <tbody>
                {o?.refusals.map((r) => (
                  <tr key={r.reason}>
                    <td>{r.reason}</td>
                    <td>{count(r.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </div>
  );
}
