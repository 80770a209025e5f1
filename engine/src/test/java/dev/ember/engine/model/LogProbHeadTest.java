package dev.ember.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.sample.LogSoftmax;
import dev.ember.engine.tensor.QuantFixtures;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The head's fused log-prob equals log-softmax over the full logits row, per row, for any batch. */
class LogProbHeadTest {
    private static final int VOCAB = 2 * LogProbHead.SLICE + 1_811; // two whole slices and a ragged one (not a multiple of the interleave width)
    private static final int DIM = 64, ROWS = 7;
    private static WorkerPool pool;
    private static Compute compute;

    @BeforeAll
    static void setUp() {
        pool = new WorkerPool(2);
        compute = new Compute(Kernels.get(), pool);
    }

    @AfterAll
    static void tearDown() {
        pool.close();
    }

    @ParameterizedTest
    @CsvSource({"Q8_0, true, 0", "Q8_0, false, 0", "F16, true, 0", "Q4_K, true, 0", "Q8_0, true, 30"})
    void equalsLogSoftmaxOfTheFullRowAndIgnoresTheBatch(TensorType type, boolean interleaved, float softcap) {
        WeightMatrix stored = QuantFixtures.random(type, VOCAB, type == TensorType.Q4_K ? 256 : DIM, 3);
        WeightMatrix head = interleaved ? compute.kernels().prepare(stored) : stored;
        int dim = head.cols();
        float[] normed = QuantFixtures.randomActivations(ROWS * dim, 11);
        for (int i = 0; i < normed.length; i++) normed[i] *= 4f; // logits spread over several nats
        int[] targets = new int[ROWS];
        Random random = new Random(5);
        for (int r = 0; r < ROWS; r++) targets[r] = random.nextInt(VOCAB);
        targets[0] = 0;
        targets[1] = VOCAB - 1;
        targets[2] = LogProbHead.SLICE; // first row of the second slice

        double[] fused = new double[ROWS];
        LogProbHead.logProbs(compute, new ForwardScratch(), head, softcap, normed, ROWS, targets, fused);

        float[] logits = new float[ROWS * VOCAB];
        compute.kernels().matmul(pool, head, normed, ROWS, logits);
        if (softcap > 0) SoftCap.apply(logits, 0, logits.length, softcap);
        for (int r = 0; r < ROWS; r++) {
            double expected = LogSoftmax.logProb(logits, r * VOCAB, VOCAB, targets[r]);
            assertTrue(expected < -1, "the fixture's targets are not near-certain: " + expected);
            assertEquals(expected, fused[r], 1e-9 * Math.abs(expected), type + " row " + r);
        }
        for (int r = 0; r < ROWS; r++) { // one row alone gives the same bits as in the batch
            double[] alone = new double[1];
            LogProbHead.logProbs(compute, new ForwardScratch(), head, softcap, Arrays.copyOfRange(normed, r * dim, (r + 1) * dim), 1, new int[] {targets[r]}, alone);
            assertEquals(Double.doubleToLongBits(fused[r]), Double.doubleToLongBits(alone[0]), "row " + r + " alone");
        }
    }

    @ParameterizedTest
    @CsvSource({"NaN", "Infinity"})
    void aNonFiniteRowIsNaNAndLeavesTheOthers(float bad) {
        WeightMatrix head = compute.kernels().prepare(QuantFixtures.random(TensorType.Q8_0, VOCAB, DIM, 3));
        float[] normed = QuantFixtures.randomActivations(3 * DIM, 11);
        int[] targets = {1, 2, 3};
        double[] clean = new double[3];
        LogProbHead.logProbs(compute, new ForwardScratch(), head, 0f, normed, 3, targets, clean);
        normed[DIM + 5] = bad;
        double[] out = new double[3];
        LogProbHead.logProbs(compute, new ForwardScratch(), head, 0f, normed, 3, targets, out);
        assertTrue(Double.isNaN(out[1]), "row with " + bad + ": " + out[1]);
        assertEquals(clean[0], out[0]);
        assertEquals(clean[2], out[2]);
    }
}
