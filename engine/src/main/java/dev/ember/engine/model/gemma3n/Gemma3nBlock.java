package dev.ember.engine.model.gemma3n;

import dev.ember.engine.model.GeGlu;
import dev.ember.engine.model.GroupedQueryAttention;
import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * One Gemma 3n decoder layer ({@code Gemma3nTextDecoderLayer}), around the active AltUp stream
 * {@code a} (the prediction of the layer's input):
 * <pre>
 *   h = attnNorm(a);  y = (a + postAttnNorm(attention(h)) + laurel(h)) / sqrt(2)
 *   y = y + postFfnNorm(ffn(ffnNorm(y)))                         // GeGLU, sparse on early layers
 *   streams = altUp.correct(predictions, y)
 *   g = gelu(perLayerGate · (streams[active] · correctScale)) · perLayerInput[layer]
 *   streams[1..] += perLayerPostNorm(perLayerProjection · g)
 * </pre>
 */
public record Gemma3nBlock(AltUp altUp, RmsNorm attentionNorm, Laurel laurel, GroupedQueryAttention attention,
                           RmsNorm postAttentionNorm, RmsNorm ffnNorm, GeGlu ffn, RmsNorm postFfnNorm,
                           WeightMatrix perLayerGate, WeightMatrix perLayerProjection, RmsNorm perLayerPostNorm) {}
