/**
 * Heed: attention mechanisms over double-precision tensors, in pure Java.
 *
 * <p>The exported packages are the API: {@link dev.heed.tensor} (the strided {@code Tensor}),
 * {@link dev.heed.attention} (the attention kernels and their backward, masks and the tutorial's
 * applied forms), {@link dev.heed.autograd} (reverse-mode gradients), {@link dev.heed.train}
 * (losses, optimisers, checkpoints), {@link dev.heed.examples} (three models trained from
 * scratch), {@link dev.heed.encoding}, {@link dev.heed.layers}, {@link dev.heed.metrics},
 * {@link dev.heed.viz} (heatmaps), {@link dev.heed.io} ({@code .npy}, {@code .npz},
 * safetensors) and {@link dev.heed} ({@link dev.heed.Heed#kernels()}: which kernels this JVM
 * runs). The {@code dev.heed.internal} packages (kernels, parallel loops) and
 * {@code dev.heed.tour} (the jar's main class) are not exported.
 *
 * <p>The Vector API kernels need {@code jdk.incubator.vector}, which this module requires only
 * statically: start the JVM with {@code --add-modules jdk.incubator.vector} to use them, otherwise
 * the scalar kernels run. The jar works the same on the class path.
 */
module dev.heed {
    // Optional at run time: VectorizationProvider loads the Panama kernels reflectively, and only
    // when the JVM resolved the module (--add-modules jdk.incubator.vector). Lucene does the same.
    requires static jdk.incubator.vector;
    // Chart.toImage() returns a java.awt.image.BufferedImage, so users of dev.heed.viz read it too.
    requires transitive java.desktop;
    // The one FINE line that says which kernels were chosen.
    requires java.logging;

    exports dev.heed;
    exports dev.heed.attention;
    exports dev.heed.autograd;
    exports dev.heed.encoding;
    exports dev.heed.examples;
    exports dev.heed.io;
    exports dev.heed.layers;
    exports dev.heed.metrics;
    exports dev.heed.tensor;
    exports dev.heed.train;
    exports dev.heed.viz;
}
