package dev.ember.engine.model;

import dev.ember.engine.kv.BlockTable;

/**
 * A ragged batch of tokens from any number of sequences: one sequence's prefill chunk, one decode
 * token from each of many sequences, or a mix. Row {@code r} is token {@code tokens[r]} at
 * position {@code positions[r]} of the sequence whose cache is {@code tables[r]}; rows of one
 * sequence must appear in position order. The caller has made room in each table for the rows'
 * positions; the forward pass writes their KV state, and each row attends to positions
 * {@code 0..positions[r]} of its own sequence.
 *
 * @param logitRows  rows whose logits are wanted, ascending; logits come back in that order
 * @param hiddenRows rows whose final hidden state (after the output norm) is wanted instead of
 *                   logits, ascending: the last token of an embedding request, which needs no head
 * @param scoreRows  rows whose only output is {@code log p(scoreTargets[i])} ({@link Model#fusesScoring}),
 *                   ascending: scoring positions, which need no logits row
 */
public record ForwardBatch(int size, int[] tokens, int[] positions, BlockTable[] tables, int[] logitRows, int[] hiddenRows,
                           int[] scoreRows, int[] scoreTargets) {
    public ForwardBatch {
        if (size < 1 || tokens.length < size || positions.length < size || tables.length < size) {
            throw new IllegalArgumentException("inconsistent batch arrays for size " + size);
        }
        ascending(logitRows, "logit rows");
        ascending(hiddenRows, "hidden rows");
        ascending(scoreRows, "score rows");
        if (scoreTargets.length != scoreRows.length) throw new IllegalArgumentException("one score target per score row");
    }

    /** A batch that wants logits and hidden states, no fused scores. */
    public ForwardBatch(int size, int[] tokens, int[] positions, BlockTable[] tables, int[] logitRows, int[] hiddenRows) {
        this(size, tokens, positions, tables, logitRows, hiddenRows, new int[0], new int[0]);
    }

    /** A batch that wants logits only. */
    public ForwardBatch(int size, int[] tokens, int[] positions, BlockTable[] tables, int[] logitRows) {
        this(size, tokens, positions, tables, logitRows, new int[0]);
    }

    private static void ascending(int[] rows, String what) {
        for (int i = 1; i < rows.length; i++) {
            if (rows[i] <= rows[i - 1]) throw new IllegalArgumentException(what + " must be ascending");
        }
    }

    /** A single-sequence batch: {@code count} tokens from {@code start} at positions {@code firstPos..}. */
    public static ForwardBatch ofSequence(int[] tokens, int start, int count, int firstPos, BlockTable table, int[] logitRows) {
        int[] t = new int[count];
        int[] p = new int[count];
        BlockTable[] tb = new BlockTable[count];
        for (int i = 0; i < count; i++) {
            t[i] = tokens[start + i];
            p[i] = firstPos + i;
            tb[i] = table;
        }
        return new ForwardBatch(count, t, p, tb, logitRows);
    }
}
