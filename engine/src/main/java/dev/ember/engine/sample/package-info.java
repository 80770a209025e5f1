/**
 * Per-request token selection and stop handling for the generation loop.
 *
 * <p>One {@link dev.ember.engine.sample.SequenceSampler} and one
 * {@link dev.ember.engine.sample.GenerationState} per running request. Everything here runs once per
 * generated token for every running sequence over vocabularies of 150k entries, so the hot paths
 * allocate nothing per token, never copy or sort the whole vocabulary when a partial selection
 * will do, and never write to the caller's logits (the batch engine reuses that array and may
 * sample several rows of it from different threads at once).
 *
 * <p>Public: {@code SequenceSampler}, {@code GenerationState}, {@code StopMatcher},
 * {@code LogSoftmax}. The rest is package-private machinery.
 */
package dev.ember.engine.sample;
