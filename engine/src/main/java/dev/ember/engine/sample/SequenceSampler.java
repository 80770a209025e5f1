package dev.ember.engine.sample;

import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.TokenLogprob;

import java.util.function.IntFunction;

/**
 * Chooses the next token of one request from its logits row. One instance per running request; not
 * thread-safe, but instances share nothing, so different requests may sample different rows of one
 * logits array from different threads at once. The caller's array is only read.
 *
 * <p>Order, as in llama.cpp: penalties over the last {@code penaltyLastN} tokens of the sequence
 * (prompt and generated, see {@link PenaltyWindow}), then greedy argmax (ties to the lowest id) when
 * {@code temperature <= 0}; otherwise top-k, top-p, min-p, temperature and a draw from the request's
 * own generator. Top-p is measured on the untempered probabilities renormalized over what top-k kept,
 * min-p relative to the most likely token; both keep a prefix of the sorted candidates, so whichever
 * is shorter wins.
 *
 * <p>Determinism: the generator is seeded from {@code SamplingParams.seed} alone and advances by
 * exactly one draw per non-greedy {@link #next} call, so the token at step t depends only on the
 * seed, t, the logits and the tokens the sampler has accepted.
 *
 * <p>A {@link TokenMask} (a request's output constraint) is applied first: the row is copied with
 * every disallowed token at negative infinity, and penalties and filters then see only allowed
 * tokens. Log-probs are still reported from the model's raw logits.
 *
 * <p>Cost per token: greedy is one pass over the row. Top-k selects through a k-sized heap (one pass,
 * no vocabulary sort). Without top-k, top-p/min-p find a threshold from a histogram of the mass (see
 * {@link Nucleus}) and sort only the tokens above it. Plain temperature sampling draws in two passes
 * with no candidate list at all. Weights use {@link FastExp}, bit-identical on every machine.
 */
public final class SequenceSampler {
    private final SamplingParams params;
    private final int vocab;
    private final int topK;            // 0 when top-k keeps everything
    private final double invTemp;
    private final Penalties penalties; // null when the request has none
    private final SeededRandom rng;
    private final PenalizedLogits view;
    private final Candidates candidates;
    private final Nucleus nucleus = new Nucleus();
    private final Logprobs logprobs;   // null when the request did not ask for them
    private final TokenMask mask;      // null when the output is unconstrained
    private float[] maskedRow;
    private int firstAllowed;

    /**
     * @param params       the request's options
     * @param vocabSize    length of one logits row
     * @param promptTokens the prompt as fed to the model, recorded for the penalties (may be empty)
     */
    public SequenceSampler(SamplingParams params, int vocabSize, int[] promptTokens) {
        this(params, vocabSize, promptTokens, null);
    }

    /** As above, with the tokens restricted to {@code mask} at every step (null for none). */
    public SequenceSampler(SamplingParams params, int vocabSize, int[] promptTokens, TokenMask mask) {
        this.mask = mask;
        if (vocabSize < 1) throw new IllegalArgumentException("vocab size must be >= 1, got " + vocabSize);
        this.params = params;
        this.vocab = vocabSize;
        this.topK = params.topK() > 0 && params.topK() < vocabSize ? params.topK() : 0;
        this.invTemp = params.isGreedy() ? 0 : 1.0 / params.temperature();
        this.penalties = Penalties.of(params.repetitionPenalty(), params.presencePenalty(), params.frequencyPenalty(),
                params.penaltyLastN(), vocabSize);
        this.rng = new SeededRandom(params.seed());
        this.view = new PenalizedLogits(vocabSize);
        this.candidates = new Candidates(topK > 0 ? topK : 64);
        this.logprobs = params.logprobs() >= 0 ? new Logprobs(vocabSize, params.logprobs()) : null;
        if (penalties != null && promptTokens != null) penalties.window().pushAll(promptTokens);
    }

    public int vocabSize() { return vocab; }

    /**
     * Chooses the next token from {@code logits[offset .. offset + vocabSize)} and records it in the
     * penalty window (so the caller must not {@link #accept} it again).
     */
    public int next(float[] logits, int offset) {
        if (mask != null && !applyMask(logits, offset)) {
            accept(firstAllowed);     // every allowed token has -inf logits: take the first allowed one
            return firstAllowed;
        }
        float[] row = mask != null ? maskedRow : logits;
        int off = mask != null ? 0 : offset;
        view.reset(row, off);
        if (penalties != null) penalties.apply(row, off, view);
        int token = choose();
        accept(token);
        return token;
    }

    /**
     * Copies the row into {@link #maskedRow} with disallowed tokens at negative infinity. Returns
     * false when no allowed token has a finite logit ({@link #firstAllowed} is then the one to take).
     */
    private boolean applyMask(float[] logits, int offset) {
        long[] allowed = mask.allowedTokens();
        if (maskedRow == null) maskedRow = new float[vocab];
        float[] out = maskedRow;
        firstAllowed = -1;
        boolean finite = false;
        for (int w = 0, words = (vocab + 63) >>> 6; w < words; w++) {
            long bits = allowed[w];
            int base = w << 6, end = Math.min(base + 64, vocab);
            if (bits == 0) {
                java.util.Arrays.fill(out, base, end, Float.NEGATIVE_INFINITY);
                continue;
            }
            if (firstAllowed < 0) firstAllowed = base + Long.numberOfTrailingZeros(bits);
            if (bits == -1L && end - base == 64) {
                System.arraycopy(logits, offset + base, out, base, 64);
                for (int i = base; i < end; i++) finite |= out[i] > Float.NEGATIVE_INFINITY;
            } else {
                for (int i = base; i < end; i++) {
                    boolean on = (bits >>> (i - base) & 1L) != 0;
                    float v = on ? logits[offset + i] : Float.NEGATIVE_INFINITY;
                    out[i] = v;
                    finite |= v > Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (firstAllowed < 0) throw new IllegalStateException("the output constraint allows no token here");
        return finite;
    }

    /** Records a token the sampler did not choose (a forced or externally supplied token) for the penalties. */
    public void accept(int token) {
        if (penalties != null) penalties.window().push(token);
    }

    /**
     * The log-prob report for {@code token} at this row (raw logits, see {@link Logprobs}), or null
     * when the request did not ask for log-probs. Call it before or after {@link #next}: it only reads.
     */
    public TokenLogprob logprob(float[] logits, int offset, int token, IntFunction<String> tokenText) {
        return logprobs == null ? null : logprobs.of(logits, offset, token, tokenText);
    }

    /** The ids top-k, top-p and min-p keep for this row (penalties applied), ascending; draws and records nothing. For tests. */
    int[] keptTokens(float[] logits, int offset) {
        if (mask != null) applyMask(logits, offset);
        float[] row = mask != null ? maskedRow : logits;
        int off = mask != null ? 0 : offset;
        view.reset(row, off);
        if (penalties != null) penalties.apply(row, off, view);
        int kept = truncate(view.max());
        int[] ids = new int[kept];
        for (int i = 0; i < kept; i++) ids[i] = candidates.id(i);
        java.util.Arrays.sort(ids);
        return ids;
    }

    private int choose() {
        if (params.isGreedy()) return view.argmax();
        double u = rng.nextDouble();          // always exactly one draw per step, whatever the path
        float max = view.max();
        if (!(max > Float.NEGATIVE_INFINITY)) return view.argmax();   // every token masked: nothing to weigh
        if (topK == 0 && params.topP() >= 1f && params.minP() <= 0f) {
            double total = view.sumExp(max, invTemp);
            return view.drawIndex(max, invTemp, u * total);
        }
        int kept = truncate(max);
        return drawFromCandidates(kept, max, u);
    }

    /** Selects candidates into {@link #candidates} and returns how many of the best survive top-k, top-p and min-p. */
    private int truncate(float max) {
        float topP = params.topP();
        double minLogit = params.minP() > 0f ? max + Math.log(params.minP()) : Double.NEGATIVE_INFINITY;
        double z;
        if (topK > 0) {
            view.selectTop(topK, candidates);
            z = topP < 1f ? candidateMass(candidates.size(), max) : Double.NaN;   // top-p renormalizes over what top-k kept
        } else {
            z = nucleus.collect(view, max, topP, minLogit, candidates);
        }
        return cut(candidates.size(), max, z, minLogit);
    }

    private double candidateMass(int n, float max) {
        double z = 0;
        for (int i = 0; i < n; i++) z += FastExp.exp((double) candidates.val(i) - max);
        return z;
    }

    /**
     * Length of the kept prefix of the best-first candidates. Top-p keeps up to and including the
     * token whose cumulative probability reaches {@code topP} (llama.cpp's rule); min-p drops every
     * token below {@code minLogit}. The best token always stays.
     */
    private int cut(int n, float max, double z, double minLogit) {
        double target = params.topP() < 1f ? params.topP() * z : Double.POSITIVE_INFINITY;
        double cum = 0;
        for (int i = 0; i < n; i++) {
            float v = candidates.val(i);
            if (v < minLogit) return Math.max(i, 1);
            cum += FastExp.exp((double) v - max);
            if (cum >= target) return i + 1;
        }
        return Math.max(n, 1);
    }

    private int drawFromCandidates(int kept, float max, double u) {
        double total = 0;
        for (int i = 0; i < kept; i++) total += weight(candidates.val(i), max);
        double target = u * total;
        double acc = 0;
        for (int i = 0; i < kept; i++) {
            acc += weight(candidates.val(i), max);
            if (acc > target) return candidates.id(i);
        }
        return candidates.id(0);    // unreachable unless rounding: fall back to the most likely token
    }

    private double weight(float v, float max) {
        return FastExp.exp(((double) v - max) * invTemp);
    }
}
