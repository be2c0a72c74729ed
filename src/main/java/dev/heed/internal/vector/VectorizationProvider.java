package dev.heed.internal.vector;

import java.util.Optional;
import java.util.logging.Logger;

/**
 * Chooses the {@link KernelSupport} for this JVM, once. Not API.
 *
 * <p>Lucene's pattern: if the boot layer has {@code jdk.incubator.vector} (the JVM was started
 * with {@code --add-modules jdk.incubator.vector}), the Panama implementation is loaded
 * reflectively, so the scalar path never links against the incubator module; on any failure, or
 * when the module is absent, the scalar implementation is used. One line says which, and how to
 * enable the other, through {@code java.util.logging} at {@code FINE} (CONFIG would still print in
 * some setups; a library must not write to every consumer's stderr); only a Panama implementation
 * that fails to load logs a {@code WARNING}. The system property {@code dev.heed.vector=false}
 * forces the scalar path.
 */
public final class VectorizationProvider {
    private static final Logger LOG = Logger.getLogger(VectorizationProvider.class.getName());
    private static final String PANAMA = "dev.heed.internal.vector.PanamaKernelSupport";

    private static final KernelSupport SCALAR = new ScalarKernelSupport();
    private static final KernelSupport SUPPORT = choose();

    private VectorizationProvider() {}

    /** The implementation kernels should use. */
    public static KernelSupport support() {
        return SUPPORT;
    }

    /** The plain-Java implementation, always available (tests compare the two). */
    public static KernelSupport scalar() {
        return SCALAR;
    }

    /** The Vector API implementation if this JVM can run it, for tests and benchmarks. */
    public static Optional<KernelSupport> vector() {
        return SUPPORT == SCALAR ? Optional.empty() : Optional.of(SUPPORT);
    }

    private static KernelSupport choose() {
        if (!Boolean.parseBoolean(System.getProperty("dev.heed.vector", "true"))) {
            LOG.fine("Heed: Vector API disabled by -Ddev.heed.vector=false; using scalar kernels");
            return SCALAR;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.fine("Heed: using scalar kernels; start the JVM with --add-modules jdk.incubator.vector "
                    + "for the Vector API ones (several times faster)");
            return SCALAR;
        }
        try {
            KernelSupport panama = (KernelSupport)
                    Class.forName(PANAMA).getDeclaredConstructor().newInstance();
            LOG.fine("Heed: using Vector API kernels (" + panama.name() + ")");
            return panama;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.warning("Heed: Vector API kernels failed to load (" + e + "); using scalar kernels");
            return SCALAR;
        }
    }
}
