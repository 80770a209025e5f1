package dev.ember.engine.sample;

import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.SamplingParams;

import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The stop decision and the output text of one request, fed one generated token at a time.
 *
 * <p>Per token, in this order:
 * <ol>
 *   <li>a stop token (an id in {@code stopTokenIds}, or an end-of-generation token unless
 *       {@code ignoreEos}) ends generation with {@code STOP}; its text is not added to the output
 *       (as in vLLM), but the token counts as generated;</li>
 *   <li>otherwise its bytes are decoded (incomplete UTF-8 waits for the next token) and run through
 *       the {@link StopMatcher}; a stop string ends generation with {@code STOP}, the text cut right
 *       before the match;</li>
 *   <li>otherwise, the {@code maxTokens}-th token ends generation with {@code LENGTH}.</li>
 * </ol>
 * On any finish other than a stop-string match, text held back for a possible stop string and
 * trailing incomplete bytes (as U+FFFD) are released into the output.
 *
 * <p>Token ids and log-probs are the loop's to keep; this class owns only the decision and the text.
 */
public final class GenerationState {
    private final int maxTokens;
    private final int[] stopTokenIds;   // sorted
    private final IntPredicate endOfGeneration;
    private final IntFunction<byte[]> tokenBytes;
    private final Utf8Stream utf8 = new Utf8Stream();
    private final StopMatcher stopStrings;
    private final StringBuilder text = new StringBuilder();
    private final Utf8Stream.CharSink toMatcher;
    private boolean stopStringMatched;
    private int generated;
    private FinishReason finish;

    /**
     * @param params          the request's options (max tokens, stop strings, stop token ids, ignore EOS)
     * @param endOfGeneration the model's end-of-generation tokens, e.g. {@code tokenizer::isEndOfGeneration}
     * @param tokenBytes      the bytes a token contributes to the text, e.g. {@code tokenizer::tokenBytes}
     */
    public GenerationState(SamplingParams params, IntPredicate endOfGeneration, IntFunction<byte[]> tokenBytes) {
        this.maxTokens = params.maxTokens();
        this.stopTokenIds = params.stopTokenIds().clone();
        Arrays.sort(this.stopTokenIds);
        this.endOfGeneration = params.ignoreEos() ? t -> false : endOfGeneration;
        this.tokenBytes = tokenBytes;
        this.stopStrings = new StopMatcher(params.stop());
        this.toMatcher = chars -> {
            if (!stopStringMatched) stopStringMatched = stopStrings.feed(chars, text);
        };
        if (maxTokens == 0) finish = FinishReason.LENGTH;
    }

    /**
     * Records one generated token.
     *
     * @return null to keep generating, or why generation is over
     * @throws IllegalStateException if generation is already over
     */
    public FinishReason accept(int token) {
        if (finish != null) throw new IllegalStateException("generation already finished: " + finish.wireName());
        generated++;
        if (isStopToken(token)) return finish(FinishReason.STOP);
        utf8.feed(tokenBytes.apply(token), toMatcher);
        if (stopStringMatched) return finish(FinishReason.STOP);
        if (generated >= maxTokens) return finish(FinishReason.LENGTH);
        return null;
    }

    /**
     * Ends generation from outside the token stream, e.g. {@code LENGTH} when the context is full;
     * releases held-back text. No effect once finished.
     */
    public FinishReason finish(FinishReason reason) {
        if (finish != null) return finish;
        finish = reason;
        if (!stopStringMatched) {
            utf8.finish(toMatcher);    // a trailing U+FFFD still goes through the stop strings
            if (!stopStringMatched) stopStrings.flush(text);
        }
        return finish;
    }

    public boolean isStopToken(int token) {
        return Arrays.binarySearch(stopTokenIds, token) >= 0 || endOfGeneration.test(token);
    }

    public boolean finished() { return finish != null; }

    /** Why generation ended, or null while it goes on. */
    public FinishReason finishReason() { return finish; }

    /** Tokens accepted so far, stop token included. */
    public int generated() { return generated; }

    /**
     * The text that is final so far: everything generated minus what is held back for a possible
     * stop string. Once finished, the complete output. Grows only at the end, so a streaming caller
     * can send {@code text().substring(previousLength)}.
     */
    public String text() { return text.toString(); }

    /** Length of {@link #text()} without building it. */
    public int textLength() { return text.length(); }
}
