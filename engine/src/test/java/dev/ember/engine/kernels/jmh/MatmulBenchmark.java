package dev.ember.engine.kernels.jmh;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.tensor.QuantFixtures;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One linear layer of qwen3-0.6b's FFN shape (3072 x 1024) per weight type, at 1 row (decode:
 * GEMV), 8 and 32 rows (batched decode) and 512 rows (prefill), through the kernels the engine
 * uses (weights prepared as the model loader prepares them). Reports microseconds per call;
 * MACs per call are 3072 x 1024 x rows. The matrix (1.5-12 MiB) stays in cache between calls, so
 * this measures the kernels' arithmetic; {@code KernelBench} streams a whole model from memory.
 * Not a unit test; run {@code ./ember jmh MatmulBenchmark} (JMH options after it, e.g.
 * {@code -p type=Q8_0,Q4_0 -p rows=1,512}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBenchmark {
    @Param({"Q8_0", "Q4_0", "F16", "BF16", "F32", "Q4_K", "Q6_K"})
    public String type;

    @Param({"1", "8", "32", "512"})
    public int rows;

    @Param({"2"})
    public int threads;

    private static final int N = 3072, K = 1024;
    private final Kernels kernels = Kernels.get();
    private WorkerPool pool;
    private WeightMatrix w;
    private float[] in, out;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        w = kernels.prepare(QuantFixtures.random(TensorType.valueOf(type), N, K, 42));
        in = QuantFixtures.randomActivations(rows * K, 7);
        out = new float[rows * N];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] matmul() {
        kernels.matmul(pool, w, in, rows, out);
        return out;
    }
}
