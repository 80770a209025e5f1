/**
 * Compute kernels: {@link dev.ember.engine.kernels.Kernels} (the contract model code calls),
 * its two implementations and the {@link dev.ember.engine.kernels.WorkerPool}.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>{@code KernelsProvider} picks the implementation once per JVM: {@code VectorKernels}
 *       unless {@code -Dember.kernels=scalar}, or {@code jdk.incubator.vector} is not enabled, or
 *       the preferred vector has fewer than 8 or more than 16 float lanes.</li>
 *   <li>{@code ScalarKernels}: the plain-Java reference, used by tests as ground truth.</li>
 *   <li>{@code VectorKernels}: entry points and the elementwise ops; {@code Matmul}: the matmul
 *       loops (fused decode for one token, panel GEMM with register tiles for several);
 *       {@code VectorBlocks}: the per-type vector block decoders. The scalar decoders that define
 *       every type's values are {@link dev.ember.engine.tensor.Dequant}.</li>
 * </ul>
 *
 * <h2>What callers should know</h2>
 * <ul>
 *   <li><b>Batch invariance.</b> Every matmul output for a token is bit-identical whatever the
 *       other rows of the call (rows = 1 takes the fused decode path, rows &gt; 1 the panel GEMM;
 *       both follow the reduction order documented on {@code Matmul}). It holds within one JVM
 *       and one vector width: the scalar and vector kernels differ in the last bits, and so do
 *       256-bit and 512-bit machines.</li>
 *   <li><b>No repacking, no load-time work.</b> Weights are read in place from their
 *       (memory-mapped) segments. Per-thread scratch (a panel of at most ~128 KiB of floats, plus
 *       a few lanes) grows on first use and is kept in thread-locals; nothing is allocated per
 *       call on the hot path.</li>
 *   <li><b>Warm-up.</b> The vector code is only fast once C2 has compiled it (a second or so of
 *       calls). Benchmarks should run a warm-up pass first; the first tokens of a process are
 *       slower.</li>
 *   <li><b>Threads.</b> Matmuls are split by output rows over the {@code WorkerPool} passed in
 *       (32 rows per task for one token, a panel of up to 30 rows for several). A task must not
 *       start a parallel region on the same pool.</li>
 * </ul>
 */
package dev.ember.engine.kernels;
