package dev.ember.engine.runtime;

import dev.ember.engine.api.EmbedResult;
import dev.ember.engine.model.EmbeddingModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Embed requests waiting for the engine thread, which takes them in batches of at most
 * {@code maxBatchTokens} tokens (a longer input goes alone) and {@code maxSequences} inputs, and
 * runs each batch as one pass of the model. The model's rows are independent, so batching changes
 * only the speed. A batch that fails is retried one input at a time, so one bad input cannot fail
 * the others.
 */
final class EmbedBatches {
    private record Item(int[] tokens, boolean truncated, CompletableFuture<EmbedResult> future) {}

    private final EmbeddingModel model;
    private final int maxBatchTokens;
    private final int maxSequences;
    private final ConcurrentLinkedQueue<Item> queue = new ConcurrentLinkedQueue<>();
    private Item carried; // taken from the queue but past the last batch's limit

    EmbedBatches(EmbeddingModel model, int maxBatchTokens, int maxSequences) {
        this.model = model;
        this.maxBatchTokens = maxBatchTokens;
        this.maxSequences = maxSequences;
    }

    void add(int[] tokens, boolean truncated, CompletableFuture<EmbedResult> future) {
        queue.add(new Item(tokens, truncated, future));
    }

    /** Runs one batch on the calling (engine) thread; false when nothing was waiting. */
    boolean runOne() {
        List<Item> batch = new ArrayList<>();
        int tokens = 0;
        while (batch.size() < maxSequences) {
            Item it = carried != null ? carried : queue.poll();
            carried = null;
            if (it == null) break;
            if (it.future().isDone()) continue; // cancelled by the caller
            if (!batch.isEmpty() && tokens + it.tokens().length > maxBatchTokens) {
                carried = it;
                break;
            }
            batch.add(it);
            tokens += it.tokens().length;
        }
        if (batch.isEmpty()) return false;
        try {
            complete(batch, model.embed(batch.stream().map(Item::tokens).toList()));
        } catch (RuntimeException | OutOfMemoryError e) {
            if (batch.size() == 1) {
                batch.getFirst().future().complete(EmbedResult.failed("embedding failed: " + e.getMessage()));
            } else {
                for (Item it : batch) {
                    try {
                        complete(List.of(it), model.embed(List.of(it.tokens())));
                    } catch (RuntimeException | OutOfMemoryError e2) {
                        it.future().complete(EmbedResult.failed("embedding failed: " + e2.getMessage()));
                    }
                }
            }
        }
        return true;
    }

    private static void complete(List<Item> batch, float[][] vectors) {
        for (int i = 0; i < batch.size(); i++) {
            Item it = batch.get(i);
            it.future().complete(new EmbedResult(vectors[i], it.tokens().length, it.truncated(), null));
        }
    }

    void failAll(String error) {
        if (carried != null) carried.future().complete(EmbedResult.failed(error));
        carried = null;
        Item it;
        while ((it = queue.poll()) != null) it.future().complete(EmbedResult.failed(error));
    }
}
