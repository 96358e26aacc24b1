// Publishes each anchored receipt to an outbound topic: key = the resource reference (so one
// resource's receipts stay in one partition, in order), value = the receipt JSON. Receipts are
// queued and sent in batches by one sender at a time; a failed send is retried with the same
// batch before newer receipts go out, so the topic never reorders a resource's receipts.

import type { Producer } from 'kafkajs';
import type { Receipt } from '../../gateway/receipts/format.js';

export interface ReceiptPublisherSettings {
  producer: Pick<Producer, 'send'>;
  topic: string;
  /** Registers a listener for anchored receipts; returns an unsubscribe function. */
  onReceipt: (listener: (receipt: Receipt) => void) => () => void;
  /** Receipts per send. Default 500. */
  batchSize?: number;
  /** Before a retry of a failed send. Default 1 s. */
  retryDelayMs?: number;
  onError?: (error: unknown) => void;
}

export interface ReceiptPublisher {
  /** Resolves when everything received so far has been sent. */
  flush(): Promise<void>;
  /** Unsubscribes, then sends what is queued. */
  stop(): Promise<void>;
}

export function publishReceipts(settings: ReceiptPublisherSettings): ReceiptPublisher {
  const queue: Receipt[] = [];
  let sending: Promise<void> | undefined;
  let stopped = false;

  const pump = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, settings.batchSize ?? 500);
      try {
        await settings.producer.send({
          topic: settings.topic,
          messages: batch.map((receipt) => ({
            key: `${receipt.resource.type}/${receipt.resource.id}`,
            value: JSON.stringify(receipt),
            headers: { 'content-type': 'application/json', 'careledger-receipt-format': receipt.format },
          })),
        });
        queue.splice(0, batch.length);
      } catch (error) {
        settings.onError?.(error);
        if (stopped) return;
        await new Promise((resolve) => setTimeout(resolve, settings.retryDelayMs ?? 1000));
      }
    }
  };
  const kick = () => {
    sending ??= pump().finally(() => {
      sending = undefined;
      if (queue.length > 0 && !stopped) kick();
    });
    return sending;
  };

  const unsubscribe = settings.onReceipt((receipt) => {
    queue.push(receipt);
    void kick();
  });

  return {
    async flush() {
      while (sending || (queue.length > 0 && !stopped)) await (sending ?? kick());
    },
    async stop() {
      unsubscribe();
      // One last attempt per queued batch: receipts can always be re-derived from the journal.
      stopped = true;
      await (sending ?? pump());
    },
  };
}
