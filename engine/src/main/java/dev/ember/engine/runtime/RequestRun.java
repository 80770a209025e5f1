package dev.ember.engine.runtime;

import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.TokenLogprob;
import dev.ember.engine.constrain.ConstraintCursor;
import dev.ember.engine.sample.GenerationState;
import dev.ember.engine.sample.SequenceSampler;
import dev.ember.engine.sched.Sequence;
import dev.ember.engine.sched.SequenceSink;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/** One request in flight: samples its tokens, applies its stop rules, and completes its future. */
final class RequestRun implements SequenceSink {
    private final Request request;
    private final int[] prompt;
    private final SequenceSampler sampler;
    private final GenerationState state;
    private final IntFunction<String> tokenText;
    private final CompletableFuture<Result> future;
    private final long startNanos;
    private final List<TokenLogprob> logprobs;
    private final EngineCounters counters;
    private final ConstraintCursor constraint;   // null for free text
    private int[] generated = new int[16];
    private int count;
    private String error;
    private int cachedPromptTokens;

    RequestRun(Request request, int[] prompt, int vocab, IntPredicate endOfGeneration, IntFunction<byte[]> tokenBytes,
               IntFunction<String> tokenText, CompletableFuture<Result> future, long startNanos, EngineCounters counters,
               ConstraintCursor constraint) {
        this.request = request;
        this.prompt = prompt;
        this.constraint = constraint;
        this.sampler = new SequenceSampler(request.sampling(), vocab, prompt, constraint);
        this.state = new GenerationState(request.sampling(), endOfGeneration, tokenBytes);
        this.tokenText = tokenText;
        this.future = future;
        this.startNanos = startNanos;
        this.counters = counters;
        this.logprobs = request.sampling().logprobs() >= 0 ? new ArrayList<>() : null;
    }

    /** True when the request asks for no tokens at all (max_tokens 0): it completes without running. */
    boolean finishedBeforeStart() { return state.finished(); }

    @Override
    public int onLogits(Sequence seq, float[] logits, int offset) {
        if (constraint != null && constraint.stuck()) {
            onFailure(seq, "no token of this model's vocabulary can continue the " + request.sampling().constraint().kind()
                    + " after " + count + " tokens");
            return -1;
        }
        int token = sampler.next(logits, offset);
        if (logprobs != null) logprobs.add(sampler.logprob(logits, offset, token, tokenText));
        if (count == generated.length) generated = Arrays.copyOf(generated, count * 2);
        generated[count++] = token;
        counters.generatedTokens.increment();
        boolean stopToken = state.isStopToken(token);
        if (constraint != null && !stopToken) constraint.advance(token);
        if (state.accept(token) != null) return -1;
        if (constraint != null && constraint.complete()) {     // nothing may follow: done without waiting for EOS
            state.finish(FinishReason.STOP);
            return -1;
        }
        return token;
    }

    @Override
    public void onFailure(Sequence seq, String error) {
        if (error == null) {
            state.finish(FinishReason.LENGTH); // the context is full
        } else {
            this.error = error;
            state.finish(FinishReason.ERROR);
        }
    }

    @Override
    public void onFinished(Sequence seq) {
        if (seq != null) {
            cachedPromptTokens = seq.cachedPromptTokens();
            counters.cachedPromptTokens.add(cachedPromptTokens);
            counters.forkedPromptTokens.add(seq.forkedPromptTokens());
        }
        complete();
    }

    void complete() {
        long latency = System.nanoTime() - startNanos;
        counters.requestsDone.increment();
        if (error != null) {
            future.complete(new Result(request.id(), "", Arrays.copyOf(generated, count), prompt, FinishReason.ERROR,
                    prompt.length, cachedPromptTokens, count, logprobs, error, latency));
            return;
        }
        FinishReason reason = state.finished() ? state.finishReason() : state.finish(FinishReason.LENGTH);
        String incomplete = null;
        if (constraint != null && reason == FinishReason.LENGTH && !constraint.accepting()) {
            incomplete = "output is incomplete: it ended (finish_reason length) before the "
                    + request.sampling().constraint().kind() + " was satisfied; raise max_tokens";
        }
        future.complete(new Result(request.id(), state.text(), Arrays.copyOf(generated, count), prompt, reason,
                prompt.length, cachedPromptTokens, count, logprobs, incomplete, latency));
    }
}
