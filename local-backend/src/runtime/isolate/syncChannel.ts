import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { SyncAnswer, SyncReply, SyncRequest } from "./protocol.js";

/**
 * The channel of synchronous syscalls (`db.query`, `queryCleanup`, `normalizeId`): the worker posts
 * a request and blocks on a shared Int32 until the backend has answered on a MessagePort.
 *
 * Every request carries a sequence number, the backend stores that number (not a bare flag) in the
 * shared Int32 after posting the reply, and the worker takes only the reply with its own number.
 * With a bare 0/1 flag, a notify that reached the worker late (the backend thread descheduled
 * between its store and its notify, on a loaded machine) woke the worker's *next* call before its
 * reply was posted: that call found no reply, and from then on every sync call of the worker read
 * the answer of the call before it ("Query undefined is closed", or another query's stream).
 * Now a wake-up for another call waits again, a reply left over from an abandoned call is dropped,
 * and anything else is a desync: an internal error after which the backend stops the worker.
 */

const MAX_SEQ = 0x7fffffff;

/** The number after `seq` (1, 2, ... then back to 1: 0 is the shared Int32's initial value, never a call's). */
export function nextSeq(seq: number): number {
  return seq >= MAX_SEQ ? 1 : seq + 1;
}

export class SyncChannelDesync extends Error {
  override name = "SyncChannelDesync";
}

/** Worker side: one call at a time (the worker's thread blocks until its answer). */
export class SyncChannelClient {
  private seq = 0;
  /** Replies to earlier, abandoned calls that were dropped (for tests and diagnosis). */
  dropped = 0;

  constructor(
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
    /** Told of a desync before the call throws, so the backend can stop this worker. */
    private readonly onDesync: (message: string) => void,
  ) {}

  call(request: Omit<SyncRequest, "seq">): SyncReply {
    const seq = (this.seq = nextSeq(this.seq));
    this.port.postMessage({ ...request, seq } satisfies SyncRequest);
    // Wake-ups meant for an earlier call (a late notify) find another number and wait again.
    for (let seen = Atomics.load(this.signal, 0); seen !== seq; seen = Atomics.load(this.signal, 0)) {
      Atomics.wait(this.signal, 0, seen);
    }
    // The backend posts its reply before storing the number, so our reply is queued, after any
    // reply to a call abandoned mid-wait (an exception between posting and reading).
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (!received) return this.desync(`no reply to sync call ${seq} (${request.op}) although the backend stored its number`);
      const reply = received.message as SyncReply;
      if (reply.seq === seq) return reply;
      this.dropped++;
    }
  }

  private desync(message: string): never {
    this.onDesync(message);
    throw new SyncChannelDesync(`Internal error: isolate sync channel out of step: ${message}.`);
  }
}

/**
 * Test seam: runs between the backend's store of a reply's number and its notify, where a loaded
 * machine may deschedule the backend's thread. Tests set it to widen that window; never set in use.
 */
export const syncChannelTesting: { beforeNotify: (() => void) | null } = { beforeNotify: null };

/** Backend side: answers a worker's requests in order; an out-of-order request is a desync. */
export class SyncChannelServer {
  private lastSeq = 0;

  constructor(
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
    private readonly answer: (request: SyncRequest) => SyncAnswer,
    /** The worker is out of step: the caller stops it (no reply is sent; its thread stays blocked until then). */
    private readonly onDesync: (message: string) => void,
  ) {}

  /** Handles one request; false once the channel is out of step (and stays so). */
  handle(request: SyncRequest): boolean {
    if (this.lastSeq < 0) return false;
    const expected = nextSeq(this.lastSeq);
    if (request.seq !== expected) {
      this.lastSeq = -1;
      this.onDesync(`expected sync request ${expected}, got ${String(request.seq)} (${request.op})`);
      return false;
    }
    this.lastSeq = request.seq;
    const reply: SyncReply = { ...this.answer(request), seq: request.seq };
    try {
      this.port.postMessage(reply);
    } catch (e) {
      // An answer that cannot be cloned (an error's data) must still answer, or the worker waits forever.
      const message = `Internal error: the answer to ${request.op} could not be sent to the isolate: ${e instanceof Error ? e.message : String(e)}`;
      this.port.postMessage({ seq: request.seq, ok: false, error: { message, name: "Error", user: false } } satisfies SyncReply);
    }
    Atomics.store(this.signal, 0, request.seq);
    syncChannelTesting.beforeNotify?.();
    Atomics.notify(this.signal, 0);
    return true;
  }
}
