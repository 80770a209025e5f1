package dev.ember.engine.sched;

import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.kv.CacheManager;
import dev.ember.engine.kv.KvBlockPool;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scheduler alone, over a fake model and a real cache manager: each test runs in milliseconds. */
class SchedulerTest {
    static final int BS = 16;

    /** Greedy generation of {@code max} tokens, recording everything the scheduler tells it. */
    static final class Sink implements SequenceSink {
        final int max;
        final List<Integer> tokens = new ArrayList<>();
        String error;
        boolean finished;

        Sink(int max) { this.max = max; }

        @Override
        public int onLogits(Sequence seq, float[] logits, int offset) {
            int best = 0;
            for (int i = 1; i < FakeModel.VOCAB; i++) if (logits[offset + i] > logits[offset + best]) best = i;
            tokens.add(best);
            return tokens.size() >= max ? -1 : best;
        }

        @Override public void onFailure(Sequence seq, String error) { this.error = error; }
        @Override public void onFinished(Sequence seq) { finished = true; }

        int[] output() { return tokens.stream().mapToInt(Integer::intValue).toArray(); }
    }

    final FakeModel model = new FakeModel();

    Scheduler scheduler(int blocks, int maxBatchTokens, int maxSequences) {
        KvBlockPool pool = KvBlockPool.forLayers(BS, blocks, model.cacheSpecs(), KvCacheType.F32, Arena.ofAuto());
        return new Scheduler(model, new CacheManager(model.cacheSpecs(), pool, 1 << 20), maxBatchTokens, maxSequences, 4096);
    }

    static int[] prompt(int length, int seed) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) p[i] = (i * 31 + seed * 17 + 3) % FakeModel.VOCAB;
        return p;
    }

    /** The greedy continuation the fake model defines, computed without a cache. */
    static int[] expected(int[] prompt, int n) {
        int[] all = Arrays.copyOf(prompt, prompt.length + n);
        for (int i = 0; i < n; i++) all[prompt.length + i] = FakeModel.expectedNext(all, prompt.length + i);
        return Arrays.copyOfRange(all, prompt.length, all.length);
    }

    static void drain(Scheduler s) {
        for (int i = 0; i < 10_000 && !s.idle(); i++) s.step();
        assertTrue(s.idle(), "scheduler did not finish");
    }

    @Test
    void admissionRespectsTheSequenceLimitAndKeepsOrder() {
        Scheduler s = scheduler(64, 512, 2);
        Sink[] sinks = {new Sink(3), new Sink(3), new Sink(3)};
        for (int i = 0; i < 3; i++) s.add(prompt(20, i), sinks[i]);
        StepPlan plan = s.plan();
        assertNotNull(plan);
        assertEquals(2, s.runningCount());
        assertEquals(1, s.waitingCount());
        assertEquals(40, plan.tokens(), "both admitted prompts are prefilled in one batch");
        s.execute(plan);
        s.commit(plan);
        drain(s);
        for (int i = 0; i < 3; i++) {
            assertNull(sinks[i].error);
            assertArrayEquals(expected(prompt(20, i), 3), sinks[i].output(), "sequence " + i);
        }
    }

    @Test
    void decodeRowsComeFirstAndPromptChunksFitTheTokenBudget() {
        Scheduler s = scheduler(64, 24, 4);
        Sink a = new Sink(5);
        s.add(prompt(10, 1), a);
        s.step(); // a's prompt
        Sink b = new Sink(2);
        s.add(prompt(40, 2), b);
        StepPlan plan = s.plan();
        assertEquals(24, plan.tokens(), "the budget is filled");
        assertEquals(10, plan.batch().positions()[0], "a's decode row first");
        assertEquals(23, plan.counts()[1], "b gets what is left of the budget");
        s.execute(plan);
        s.commit(plan);
        drain(s);
        assertArrayEquals(expected(prompt(10, 1), 5), a.output());
        assertArrayEquals(expected(prompt(40, 2), 2), b.output());
    }

    @Test
    void aPrefixHitReusesWholeBlocksAndCopiesAPartialOne() {
        Scheduler s = scheduler(64, 512, 4);
        int[] first = prompt(50, 7); // three full blocks
        s.add(first, new Sink(1));
        drain(s);
        int[] second = Arrays.copyOf(first, 44);
        second[37] = (second[37] + 1) % FakeModel.VOCAB; // diverges inside the third block
        for (int i = 40; i < 44; i++) second[i] = i;
        Sink sink = new Sink(4);
        Sequence seq = s.add(second, sink);
        drain(s);
        assertEquals(37, seq.cachedPromptTokens(), "two whole blocks (32) plus 5 copied from the partial third");
        assertArrayEquals(expected(second, 4), sink.output());
    }

    @Test
    void copyOnWriteLeavesTheCachedBlockIntact() {
        Scheduler s = scheduler(64, 512, 4);
        int[] original = prompt(48, 3);
        s.add(original, new Sink(1));
        drain(s);
        // A sequence that shares 20 tokens copies 4 slots of block 1, then writes its own tokens after them.
        int[] diverging = Arrays.copyOf(original, 30);
        for (int i = 20; i < 30; i++) diverging[i] = (diverging[i] + 5) % FakeModel.VOCAB;
        Sink d = new Sink(3);
        Sequence ds = s.add(diverging, d);
        drain(s);
        assertEquals(20, ds.cachedPromptTokens());
        assertArrayEquals(expected(diverging, 3), d.output());
        // The original prompt still finds all of its full blocks unchanged.
        Sink again = new Sink(3);
        Sequence as = s.add(original, again);
        drain(s);
        assertEquals(47, as.cachedPromptTokens(), "two whole blocks plus 15 copied (the last token is always computed)");
        assertArrayEquals(expected(original, 3), again.output());
    }

    @Test
    void cachedBlocksNobodyUsesAreReusedLeastRecentlyReleasedFirst() {
        Scheduler s = scheduler(12, 512, 4); // 192 positions
        int[] old = prompt(64, 1);
        s.add(old, new Sink(1));
        drain(s);
        assertEquals(4, s.cache().cachedBlocks());
        for (int i = 0; i < 6; i++) {
            Sink sink = new Sink(2);
            s.add(prompt(100, 10 + i), sink);
            drain(s);
            assertNull(sink.error, sink.error);
        }
        assertTrue(s.cache().evictions() > 0, "the pool is too small to keep everything");
        assertTrue(s.cache().cachedBlocks() <= 12);
        Sequence again = s.add(old, new Sink(1));
        drain(s);
        assertEquals(0, again.cachedPromptTokens(), "the least recently released prefix was reused first");
        assertEquals(12, s.cache().freeBlocks(), "every block is free again (cached ones count as free)");
    }

    @Test
    void poolExhaustionPreemptsTheYoungestAndKeepsTheOutput() {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 6; i++) prompts.add(prompt(30, 40 + i));
        Scheduler tight = scheduler(10, 512, 6); // 160 positions for 6 x 70
        List<Sink> sinks = new ArrayList<>();
        for (int[] p : prompts) {
            Sink sink = new Sink(40);
            sinks.add(sink);
            tight.add(p, sink);
        }
        drain(tight);
        assertTrue(tight.preemptions() > 0, "expected preemptions");
        for (int i = 0; i < prompts.size(); i++) {
            assertNull(sinks.get(i).error);
            assertArrayEquals(expected(prompts.get(i), 40), sinks.get(i).output(), "sequence " + i);
        }
    }

    @Test
    void aPromptWaitsForTheSamePrefixBeingPrefilledAndThenSharesIt() {
        Scheduler s = scheduler(64, 16, 4); // one block of prompt per step
        int[] a = prompt(40, 9);
        int[] b = Arrays.copyOf(a, 40);
        b[39] = (b[39] + 1) % FakeModel.VOCAB;
        Sink sa = new Sink(2), sb = new Sink(2);
        s.add(a, sa);
        s.step(); // a computes its first block
        Sequence seqB = s.add(b, sb);
        s.step();
        assertEquals(1, s.waitingCount(), "b is deferred while a prefills the block b would compute too");
        drain(s);
        assertTrue(seqB.cachedPromptTokens() >= 32, "b started from a's blocks: " + seqB.cachedPromptTokens());
        assertArrayEquals(expected(b, 2), sb.output());
    }

    @Test
    void aCancelledSequenceLeavesAtOnceAndFreesItsBlocks() {
        Scheduler s = scheduler(32, 512, 4);
        Sink keep = new Sink(20), drop = new Sink(1000);
        s.add(prompt(20, 1), keep);
        Sequence gone = s.add(prompt(60, 2), drop);
        s.step();
        s.step();
        int freeBefore = s.cache().freeBlocks();
        int held = gone.table().blockCount();
        assertTrue(held >= 4);
        assertTrue(s.cancel(gone, "cancelled"));
        assertEquals("cancelled", drop.error);
        assertTrue(drop.finished);
        assertEquals(1, s.runningCount());
        assertEquals(freeBefore + held, s.cache().freeBlocks(), "its blocks are free before the next step");
        assertFalse(s.cancel(gone, "cancelled"), "a finished sequence cannot be cancelled twice");
        drain(s);
        assertArrayEquals(expected(prompt(20, 1), 20), keep.output());
        assertEquals(1, s.cancellations());
    }

    @Test
    void aWaitingSequenceCanBeCancelled() {
        Scheduler s = scheduler(32, 512, 1);
        s.add(prompt(20, 1), new Sink(3));
        Sink waiting = new Sink(3);
        Sequence w = s.add(prompt(20, 2), waiting);
        s.step();
        assertEquals(1, s.waitingCount());
        assertTrue(s.cancel(w, "cancelled"));
        assertEquals(0, s.waitingCount());
        assertTrue(waiting.finished);
        drain(s);
        assertTrue(waiting.tokens.isEmpty());
    }

    @Test
    void aSequenceLargerThanThePoolFailsWithAClearMessage() {
        Scheduler s = scheduler(4, 512, 2);
        Sink sink = new Sink(1);
        s.add(prompt(100, 1), sink);
        drain(s);
        assertTrue(sink.error.contains("raise the KV cache budget"), sink.error);
        assertTrue(sink.finished);
    }
}
