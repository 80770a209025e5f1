package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.EngineStats;
import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Asynchronous scoring, cancellation that frees blocks at once, and no request lost to a close. */
class EngineLifecycleTest {
    static Engine open() {
        return Engine.open(SharedFiles.model("stories260K.gguf"), EngineOptions.defaults().withThreads(1).withMaxSequences(8));
    }

    static int[] tokens(SplittableRandom rnd, int n) {
        int[] t = new int[n];
        t[0] = 1;
        for (int i = 1; i < n; i++) t[i] = 2 + rnd.nextInt(500);
        return t;
    }

    /** Waits for a condition the engine thread makes true within a few steps (a hang guard, not a timing check). */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("never happened: " + what);
            Thread.sleep(2);
        }
    }

    @Test
    void submitAndCloseRacingNeverLoseARequest() throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int round = 0; round < 12; round++) {
            Engine e = open();
            ConcurrentLinkedQueue<CompletableFuture<?>> futures = new ConcurrentLinkedQueue<>();
            CountDownLatch started = new CountDownLatch(3);
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int[] prompt = tokens(rnd, 8 + t);
                Thread th = new Thread(() -> {
                    started.countDown();
                    for (int i = 0; i < 300; i++) {
                        futures.add(e.submit(Request.ofTokens("r" + i, prompt, SamplingParams.builder().maxTokens(2).ignoreEos(true).build())));
                        futures.add(e.scoreTokens(prompt));
                    }
                });
                submitters.add(th);
                th.start();
            }
            started.await();
            Thread.sleep(round % 4);
            e.close();
            for (Thread th : submitters) th.join();
            for (CompletableFuture<?> f : futures) {
                Object r = f.get(30, TimeUnit.SECONDS); // a lost request would never complete
                if (r instanceof Result res) {
                    assertTrue(res.ok() || res.error().contains("closed"), res.error());
                } else {
                    ScoreResult s = (ScoreResult) r;
                    assertTrue(s.error() == null || s.error().contains("closed"), s.error());
                }
            }
        }
    }

    @Test
    void aCancelledFutureLeavesTheBatchAndFreesItsBlocks() throws Exception {
        try (Engine e = open()) {
            SplittableRandom rnd = new SplittableRandom(5);
            int blocks = e.stats().kvBlocks();
            // The request may reach the end of the context before the cancel comes (a loaded machine): then try again.
            boolean cancelled = false;
            for (int attempt = 0; attempt < 5 && !cancelled; attempt++) {
                CompletableFuture<Result> endless = e.submit(Request.ofTokens("long", tokens(rnd, 40),
                        SamplingParams.builder().maxTokens(100_000).ignoreEos(true).build()));
                await(() -> e.stats().runningSequences() == 1 || endless.isDone(), "the request runs");
                assertTrue(e.stats().freeKvBlocks() < blocks || endless.isDone());
                cancelled = endless.cancel(true);
            }
            assertTrue(cancelled);
            await(() -> e.stats().runningSequences() == 0, "the request leaves the running batch");
            EngineStats after = e.stats();
            assertEquals(1, after.cancelledRequests());
            assertEquals(blocks, after.freeKvBlocks(), "its blocks are free (cached ones count as free)");
            // The engine goes on serving.
            assertTrue(e.generate(List.of(Request.ofTokens("next", tokens(rnd, 10), SamplingParams.greedy(3)))).getFirst().ok());
        }
    }

    @Test
    void cancelByRequestIdEndsEveryRequestWithThatId() throws Exception {
        try (Engine e = open()) {
            SplittableRandom rnd = new SplittableRandom(6);
            SamplingParams endless = SamplingParams.builder().maxTokens(100_000).ignoreEos(true).build();
            CompletableFuture<Result> a = e.submit(Request.ofTokens("job-7", tokens(rnd, 20), endless));
            CompletableFuture<Result> b = e.submit(Request.ofTokens("job-7", tokens(rnd, 30), endless));
            CompletableFuture<Result> other = e.submit(Request.ofTokens("job-8", tokens(rnd, 10), SamplingParams.builder().maxTokens(20).ignoreEos(true).build()));
            await(() -> e.stats().generatedTokens() > 10, "the requests run");
            assertEquals(2, e.cancel("job-7"));
            assertTrue(a.isCancelled() && b.isCancelled());
            Result o = other.join();
            assertTrue(o.ok());
            assertEquals(FinishReason.LENGTH, o.finishReason());
            await(() -> e.stats().runningSequences() == 0 && e.stats().cancelledRequests() == 2, "both leave");
            assertEquals(0, e.cancel("job-7"));
        }
    }

    @Test
    void asynchronousScoresEqualSynchronousOnes() {
        try (Engine e = open()) {
            SplittableRandom rnd = new SplittableRandom(7);
            List<int[]> docs = new ArrayList<>();
            for (int i = 0; i < 16; i++) docs.add(tokens(rnd, 20 + i));
            List<CompletableFuture<ScoreResult>> futures = docs.stream().map(e::scoreTokens).toList(); // all in flight at once
            for (int i = 0; i < docs.size(); i++) {
                ScoreResult together = futures.get(i).join();
                ScoreResult alone = e.scoreTokens(docs.get(i)).join();
                assertEquals(alone.logprob(), together.logprob(), "document " + i);
            }
            List<ScoreResult> choices = e.scoreChoicesAsync("Once upon a time", List.of(" there", " purple")).join();
            assertEquals(e.scoreChoices("Once upon a time", List.of(" there", " purple")), choices);
            assertEquals(e.score("Once upon a time there was"), e.scoreAsync("Once upon a time there was").join());
        }
    }
}
