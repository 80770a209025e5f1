package dev.ember.engine.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of worker threads for data-parallel loops. Decode fires hundreds of small
 * parallel regions per token, so workers are kept alive, spin briefly between jobs and then park;
 * a region allocates nothing. The calling thread works too, so {@code threads} is the total.
 *
 * <p>Only one region runs at a time per pool; {@link #parallelFor} calls from several threads are
 * serialized. A task must not start a region on the same pool. Task indices are handed out
 * dynamically, but a task's own result never depends on which thread ran it, so results stay
 * deterministic.
 *
 * <p>Regions are published seqlock-style: {@code generation} is odd while the caller writes the
 * region's task and count, even once they are complete. Index claims go through one counter that
 * carries the region's generation in its high half, so a worker that was descheduled between
 * two regions can never claim (and silently skip or run with the wrong task) an index of a later
 * region: its claim fails because the generation no longer matches.
 */
public final class WorkerPool implements AutoCloseable {
    /** A loop body over task indices {@code [0, count)}. */
    @FunctionalInterface
    public interface Task {
        void run(int index);
    }

    private static final int SPIN_ITERATIONS = 20_000;

    private final int threads;
    private final Thread[] workers;
    /** (generation << 32) | next unclaimed index. */
    private final AtomicLong claim = new AtomicLong();
    private final AtomicInteger remaining = new AtomicInteger();
    private volatile Task task;
    private volatile int count;
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private volatile Throwable failure;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, "ember-worker-" + i);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    /** Runs {@code task.run(i)} for every i in [0, count), spread over all threads; returns when all are done. */
    public synchronized void parallelFor(int count, Task task) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        if (count <= 0) return;
        if (count == 1 || workers.length == 0) {
            for (int i = 0; i < count; i++) task.run(i);
            return;
        }
        long g = generation + 1;
        generation = g; // odd: region being written
        this.failure = null;
        this.caller = Thread.currentThread();
        this.task = task;
        this.count = count;
        remaining.set(count);
        long published = g + 1;
        claim.set(published << 32);
        generation = published; // even: task, count and claim counter are complete
        for (Thread w : workers) LockSupport.unpark(w);
        drain(task, count, published);
        int spins = 0;
        while (remaining.get() > 0) {
            if (++spins > SPIN_ITERATIONS) LockSupport.parkNanos(50_000);
            else Thread.onSpinWait();
        }
        this.task = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new RuntimeException(f);
        }
    }

    private void drain(Task t, int n, long gen) {
        long tag = gen << 32;
        // Indices are claimed a run at a time: a region of many small tasks (a row's norm, RoPE or
        // routing) spent more on the two shared counters per index than on the tasks. About eight
        // runs per thread keep uneven tasks balanced; up to that many indices each is claimed alone.
        int grain = Math.max(1, n / (8 * (workers.length + 1)));
        // A thread reports what it ran once, when it finds nothing left to claim, not once per
        // run: an atomic add waits for the thread's stores to drain, and the adds were 1.3-1.5 %
        // of a Q8_0 decode profile (the claims' compare-and-set, which now absorbs that wait,
        // 0.6 % after). The caller cannot see the region finish before every claimed index is counted.
        int done = 0;
        while (true) {
            long c = claim.get();
            if ((c & 0xFFFF_FFFF_0000_0000L) != tag) break; // a later region: not ours
            int i = (int) c;
            if (i >= n) break;
            int end = Math.min(n, i + grain);
            if (!claim.compareAndSet(c, c + (end - i))) continue;
            try {
                for (int k = i; k < end; k++) t.run(k);
            } catch (Throwable e) {
                failure = e;
            }
            done += end - i;
        }
        if (done > 0 && remaining.addAndGet(-done) == 0) {
            Thread c2 = caller;
            if (c2 != null) LockSupport.unpark(c2);
        }
    }

    private void workerLoop() {
        long seen = 0;
        while (!closed) {
            int spins = 0;
            long g;
            while (((g = generation) == seen || (g & 1) != 0) && !closed) {
                if (++spins > SPIN_ITERATIONS) LockSupport.park(this);
                else Thread.onSpinWait();
            }
            if (closed) return;
            Task t = task;
            int n = count;
            if (generation != g) continue; // the caller moved on while we read: look again
            seen = g;
            if (t != null) drain(t, n, g);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
