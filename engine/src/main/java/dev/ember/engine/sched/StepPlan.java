package dev.ember.engine.sched;

import dev.ember.engine.model.ForwardBatch;

import java.util.List;

/**
 * What one step computes, decided by {@link Scheduler#plan()} before the forward pass: the rows
 * per sequence, the batch, and which logit rows go to which sequence's position.
 *
 * @param sequences      sequences with rows in this step, in batch order
 * @param counts         rows of each of those sequences
 * @param batch          the forward batch
 * @param logitSequences per logit row, its sequence
 * @param logitPositions per logit row, the position whose logits it holds
 * @param hiddenSequences per hidden-state row ({@link ForwardBatch#hiddenRows()}), its (embedding) sequence
 * @param scoreSequences per score row ({@link ForwardBatch#scoreRows()}), its (scoring) sequence
 * @param scorePositions per score row, the prompt position whose next token it scores
 */
public record StepPlan(List<Sequence> sequences, int[] counts, ForwardBatch batch, Sequence[] logitSequences, int[] logitPositions,
                       Sequence[] hiddenSequences, Sequence[] scoreSequences, int[] scorePositions) {
    public int tokens() { return batch.size(); }
}
