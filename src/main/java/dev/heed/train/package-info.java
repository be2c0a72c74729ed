/**
 * Training with {@link dev.heed.autograd autograd}: losses, optimisers, gradient clipping,
 * seeded initialisation and checkpoints, with PyTorch's semantics and defaults.
 *
 * <ul>
 *   <li>{@link dev.heed.train.Losses} — {@code crossEntropy} from logits (stable, mean over the
 *       rows not ignored, PyTorch's {@code ignore_index}) and {@code meanSquaredError}, with a
 *       {@link dev.heed.train.Reduction}.</li>
 *   <li>{@link dev.heed.train.Optimizer}s — {@link dev.heed.train.Sgd} (momentum, Nesterov,
 *       weight decay) and {@link dev.heed.train.AdamW} (decoupled weight decay, bias
 *       correction, AMSGrad), each following {@code torch.optim}'s update rule and defaults.</li>
 *   <li>{@link dev.heed.train.GradientClipping} — the global L2 norm ({@code clip_grad_norm_}) and
 *       elementwise clamping.</li>
 *   <li>{@link dev.heed.train.Init} — Xavier/Glorot, Kaiming/He, uniform and normal
 *       initialisation, seeded through {@link java.util.Random}.</li>
 *   <li>{@link dev.heed.train.AttentionOps} — an attention kernel as one autograd operation whose
 *       backward is the kernel's own fused backward (FlashAttention-2's for the chunked one).</li>
 *   <li>{@link dev.heed.train.RotaryOps} — rotary positions as an autograd operation whose backward
 *       is the inverse rotation.</li>
 *   <li>{@link dev.heed.train.Checkpoints} — a {@link dev.heed.layers.Module}'s parameters to and
 *       from safetensors, under their PyTorch-style names.</li>
 * </ul>
 *
 * <p>A training loop:
 * <pre>{@code
 * TrainableLinear hidden = TrainableLinear.seeded(2, 8, true, 1);
 * TrainableLinear out = TrainableLinear.seeded(8, 3, true, 2);
 * Module model = () -> Module.builder().add("hidden", hidden).add("out", out).build();
 * Optimizer opt = AdamW.builder(model).learningRate(0.01).build();
 * for (int step = 0; step < 500; step++) {
 *     Variable logits = out.forward(hidden.forward(Variable.constant(x)).tanh());
 *     Variable loss = Losses.crossEntropy(logits, labels);
 *     opt.zeroGrad();
 *     loss.backward();
 *     GradientClipping.clipNorm(model.parameters().values(), 1.0);
 *     opt.step();
 * }
 * Checkpoints.save(Path.of("model.safetensors"), model);   // hidden.weight, hidden.bias, out.weight, out.bias
 * }</pre>
 */
package dev.heed.train;
