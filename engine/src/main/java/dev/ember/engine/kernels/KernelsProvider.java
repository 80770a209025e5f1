package dev.ember.engine.kernels;

import java.util.logging.Logger;

/**
 * Chooses the kernel implementation once per JVM: the Vector API kernels unless
 * {@code -Dember.kernels=scalar} is set, the {@code jdk.incubator.vector} module is not resolved
 * (the JVM was started without {@code --add-modules=jdk.incubator.vector}), or the preferred
 * vector shape is one the block decoders do not handle.
 */
final class KernelsProvider {
    static final Kernels INSTANCE = choose();
    /** The cache-row conversions, vector exactly when the compute kernels are. */
    static final CacheKernels CACHE = INSTANCE instanceof VectorKernels ? VectorFactory.cache() : new ScalarCacheKernels();

    private KernelsProvider() {}

    private static Kernels choose() {
        String wanted = System.getProperty("ember.kernels", "vector");
        if (wanted.equalsIgnoreCase("scalar")) return new ScalarKernels();
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            Logger.getLogger(KernelsProvider.class.getName()).warning(
                    "jdk.incubator.vector is not enabled (--add-modules=jdk.incubator.vector); using slow scalar kernels");
            return new ScalarKernels();
        }
        try {
            // Touch the vector classes only here, so a JVM without the module never links them.
            Kernels k = VectorFactory.create();
            if (k != null) return k;
        } catch (LinkageError e) {
            Logger.getLogger(KernelsProvider.class.getName()).warning("Vector API kernels unavailable: " + e);
        }
        return new ScalarKernels();
    }

    /** Separate class so that linking jdk.incubator.vector happens only when it is called. */
    private static final class VectorFactory {
        static Kernels create() {
            return VectorKernels.supported() ? new VectorKernels() : null;
        }

        static CacheKernels cache() {
            return VectorCacheKernels.supported() ? new VectorCacheKernels() : new ScalarCacheKernels();
        }
    }
}
