package dev.heed.attention;

import dev.heed.layers.Linear;
import dev.heed.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Encoder–decoder alignment attention for translation: each decoder state scores every encoder
 * state, the scores are normalised over the source, and the context is the weighted sum of the
 * encoder states.
 *
 * <p>For a decoder state {@code h_t} (size {@code Hd}) and encoder states {@code h̄_s} (size
 * {@code He}), the score functions are:
 * <pre>
 *   DOT       score(h_t, h̄_s) = h_tᵀ h̄_s                          Luong et al. 2015 "dot" (needs Hd = He)
 *   GENERAL   score(h_t, h̄_s) = h_tᵀ W_a h̄_s                      Luong et al. 2015 "general"; W_a [Hd, He]
 *   CONCAT    score(h_t, h̄_s) = v_aᵀ tanh(W_a [h_t; h̄_s])         Luong et al. 2015 "concat"; W_a [H, Hd+He], v_a [H]
 *   ADDITIVE  score(s, h_j)   = v_aᵀ tanh(W_a s + U_a h_j)          Bahdanau et al. 2014; W_a [H, Hd], U_a [H, He], v_a [H]
 * </pre>
 * and then, with {@code S} source positions,
 * <pre>
 *   a_t(s) = exp(score(h_t, h̄_s)) / Σ_s' exp(score(h_t, h̄_s'))     alignment weights (stable softmax over s)
 *   c_t    = Σ_s a_t(s) h̄_s                                         context vector, size He
 * </pre>
 * (Luong, Pham, Manning 2015, "Effective Approaches to Attention-based Neural Machine
 * Translation"; Bahdanau, Cho, Bengio 2014, "Neural Machine Translation by Jointly Learning to
 * Align and Translate".) Concat and additive are the same function — splitting Luong's
 * {@code W_a} column-wise gives Bahdanau's {@code W_a} and {@code U_a}; they differ in the papers
 * only in which decoder state is passed ({@code h_t} after the step for Luong, {@code s_{t−1}}
 * before it for Bahdanau), which is the caller's choice here. The tutorial's
 * {@code TranslationAttention} is GENERAL.
 *
 * <p>Shapes: encoder {@code [B, S, He]} with decoder {@code [B, T, Hd]} (T target steps) gives
 * context (the result's {@link AttentionResult#output() output}) {@code [B, T, He]}, weights
 * {@code [B, T, S]} and logSumExp {@code [B, T]}; decoder {@code [B, Hd]} (one step) gives
 * {@code [B, He]}, {@code [B, S]} and {@code [B]}. Without the batch axis — encoder
 * {@code [S, He]}, decoder {@code [T, Hd]} or {@code [Hd]} — the results lose it too. All results
 * are new tensors; inputs may be any view and are not modified.
 *
 * <p>Masks broadcast against the scores {@code [B, T, S]} ({@code [B, 1, S]} for one step, and
 * {@code [1, T, S]} without a batch axis), so {@code Mask.keyPadding(sourceLengths)} — or
 * {@link #forward(Tensor, Tensor, int...)} — hides source padding, an {@code [T, S]} tensor mask
 * applies to every batch element, and a {@code [B, S]} source mask {@code keep} is
 * {@code Mask.allow(keep.reshape(B, 1, S))}. Masked positions get weight exactly 0; a target
 * step that may attend to nothing gets context 0, weights 0 and logSumExp −∞, never NaN.
 *
 * <p>{@link #backward(Tensor, Tensor, Mask, Tensor)} gives the gradients of the decoder and
 * encoder states and of the parameters ({@code wa}, {@code ua}, {@code va}, as the factories name
 * them) for a gradient of the context, through {@link SoftmaxAttention#backward}.
 *
 * <p>Seeded factories draw from one {@link Random} in the order the parameters are listed above,
 * each matrix uniform in {@code ±1/√fanIn} as {@code torch.nn.Linear} initialises one (v_a as a
 * {@code Linear(H, 1)} weight); like the papers they use no biases. Factories taking
 * {@link Linear} layers accept biases.
 *
 * <p>Immutable and thread-safe.
 */
public final class AlignmentAttention {
    /** The softmax and weighted sum over the scores this class computes. */
    private static final SoftmaxAttention SCORES = new SoftmaxAttention();

    /** The score function. */
    public enum Score {
        /** Luong's dot: {@code h_tᵀ h̄_s}. */
        DOT,
        /** Luong's general (bilinear): {@code h_tᵀ W_a h̄_s}. */
        GENERAL,
        /** Luong's concat: {@code v_aᵀ tanh(W_a [h_t; h̄_s])}. */
        CONCAT,
        /** Bahdanau's additive: {@code v_aᵀ tanh(W_a s + U_a h)}. */
        ADDITIVE
    }

    private final Score score;
    /** GENERAL: h̄_s ↦ W_a h̄_s, from He to Hd. CONCAT: [h_t; h̄_s] ↦ W_a [h_t; h̄_s]. ADDITIVE: s ↦ W_a s. */
    private final Linear first;
    /** ADDITIVE only: h ↦ U_a h. */
    private final Linear second;
    /** CONCAT and ADDITIVE: v_a as a [1, H] weight. */
    private final Linear v;
    /** CONCAT only: W_aᵀ [Hd+He, H], split between decoder and encoder rows at each call. */
    private final Tensor concatWeightT;

    private AlignmentAttention(Score score, Linear first, Linear second, Linear v) {
        this.score = score;
        this.first = first;
        this.second = second;
        this.v = v;
        this.concatWeightT = score == Score.CONCAT ? first.weight().transpose(0, 1) : null;
    }

    /**
     * Luong's dot score {@code h_tᵀ h̄_s}; decoder and encoder states must have the same size.
     *
     * @return a new attention without parameters
     */
    public static AlignmentAttention dot() {
        return new AlignmentAttention(Score.DOT, null, null, null);
    }

    /**
     * Luong's general score {@code h_tᵀ W_a h̄_s}.
     *
     * @param wa {@code [Hd, He]}; copied, not modified
     * @return a new attention for decoder states of size {@code Hd} and encoder states of size
     *         {@code He}
     * @throws IllegalArgumentException unless {@code wa} is a non-empty matrix
     */
    public static AlignmentAttention general(Tensor wa) {
        return new AlignmentAttention(Score.GENERAL, Linear.of(wa), null, null);
    }

    /**
     * Luong's general score with {@code W_a [Hd, He]} initialised from {@code new Random(seed)}.
     *
     * @param decoderDim the decoder state size {@code Hd}, ≥ 1
     * @param encoderDim the encoder state size {@code He}, ≥ 1
     * @param seed       the seed of the {@link Random} {@code W_a} is drawn from
     * @return a new attention; same seed, same parameters
     * @throws IllegalArgumentException unless both sizes are ≥ 1
     */
    public static AlignmentAttention general(int decoderDim, int encoderDim, long seed) {
        return new AlignmentAttention(Score.GENERAL, Linear.seeded(encoderDim, decoderDim, false, seed), null, null);
    }

    /**
     * Luong's concat score {@code v_aᵀ tanh(W_a [h_t; h̄_s] + b)}.
     *
     * @param wa {@code [h_t; h̄_s] ↦ W_a [h_t; h̄_s] + b}, from {@code Hd + He} to {@code H}
     *           features; the split between {@code Hd} and {@code He} is read from the inputs
     * @param va {@code [H]}; copied, not modified
     * @return a new attention that shares {@code wa} (immutable) and owns its copy of {@code va}
     * @throws IllegalArgumentException if either is null or {@code va} is not {@code [H]}
     */
    public static AlignmentAttention concat(Linear wa, Tensor va) {
        if (wa == null) {
            throw new IllegalArgumentException("W_a is null");
        }
        return new AlignmentAttention(Score.CONCAT, wa, null, scoreVector(va, wa.outFeatures()));
    }

    /**
     * Luong's concat score, initialised from {@code new Random(seed)}: {@code W_a [H, Hd+He]},
     * then {@code v_a [H]}.
     *
     * @param decoderDim the decoder state size {@code Hd}, ≥ 1
     * @param encoderDim the encoder state size {@code He}, ≥ 1
     * @param hiddenDim  the hidden size {@code H}, ≥ 1
     * @param seed       the seed of the {@link Random} the parameters are drawn from
     * @return a new attention without biases; same seed, same parameters
     * @throws IllegalArgumentException unless all sizes are ≥ 1
     */
    public static AlignmentAttention concat(int decoderDim, int encoderDim, int hiddenDim, long seed) {
        checkDims(decoderDim, encoderDim, hiddenDim);
        Random random = new Random(seed);
        Linear wa = Linear.seeded(decoderDim + encoderDim, hiddenDim, false, random);
        return new AlignmentAttention(Score.CONCAT, wa, null, Linear.seeded(hiddenDim, 1, false, random));
    }

    /**
     * Bahdanau's additive score {@code v_aᵀ tanh(W_a s + U_a h)} (biases of the layers, if any,
     * are added inside the tanh).
     *
     * @param wa decoder projection, {@code Hd → H}
     * @param ua encoder projection, {@code He → H}
     * @param va {@code [H]}; copied, not modified
     * @return a new attention that shares {@code wa} and {@code ua} (immutable) and owns its copy
     *         of {@code va}
     * @throws IllegalArgumentException if any is null or the hidden sizes disagree
     */
    public static AlignmentAttention additive(Linear wa, Linear ua, Tensor va) {
        if (wa == null || ua == null) {
            throw new IllegalArgumentException("W_a and U_a must not be null");
        }
        if (wa.outFeatures() != ua.outFeatures()) {
            throw new IllegalArgumentException(
                    "W_a and U_a must project to the same hidden size, got " + wa + " and " + ua);
        }
        return new AlignmentAttention(Score.ADDITIVE, wa, ua, scoreVector(va, wa.outFeatures()));
    }

    /**
     * Bahdanau's additive score, initialised from {@code new Random(seed)}: {@code W_a [H, Hd]},
     * {@code U_a [H, He]}, then {@code v_a [H]}.
     *
     * @param decoderDim the decoder state size {@code Hd}, ≥ 1
     * @param encoderDim the encoder state size {@code He}, ≥ 1
     * @param hiddenDim  the hidden size {@code H}, ≥ 1
     * @param seed       the seed of the {@link Random} the parameters are drawn from
     * @return a new attention without biases; same seed, same parameters
     * @throws IllegalArgumentException unless all sizes are ≥ 1
     */
    public static AlignmentAttention additive(int decoderDim, int encoderDim, int hiddenDim, long seed) {
        checkDims(decoderDim, encoderDim, hiddenDim);
        Random random = new Random(seed);
        Linear wa = Linear.seeded(decoderDim, hiddenDim, false, random);
        Linear ua = Linear.seeded(encoderDim, hiddenDim, false, random);
        return new AlignmentAttention(Score.ADDITIVE, wa, ua, Linear.seeded(hiddenDim, 1, false, random));
    }

    private static void checkDims(int decoderDim, int encoderDim, int hiddenDim) {
        if (decoderDim < 1 || encoderDim < 1 || hiddenDim < 1) {
            throw new IllegalArgumentException("decoderDim, encoderDim and hiddenDim must be >= 1, got " + decoderDim
                    + ", " + encoderDim + ", " + hiddenDim);
        }
    }

    private static Linear scoreVector(Tensor va, int hidden) {
        if (va == null || va.rank() != 1 || va.shape(0) != hidden) {
            throw new IllegalArgumentException("v_a must have shape [" + hidden + "] (the hidden size), got "
                    + (va == null ? "null" : Arrays.toString(va.shape())));
        }
        return Linear.of(va.reshape(1, hidden));
    }

    /**
     * Attends without a mask: every decoder state sees every encoder state.
     *
     * @param decoder {@code [B, T, Hd]}, {@code [B, Hd]}, {@code [T, Hd]} or {@code [Hd]}; not modified
     * @param encoder {@code [B, S, He]} or {@code [S, He]}; not modified
     * @return output = context {@code [B, T, He]}, weights {@code [B, T, S]}, logSumExp
     *         {@code [B, T]} (without the axes the inputs lack); new tensors
     * @throws IllegalArgumentException as {@link #forward(Tensor, Tensor, Mask)}
     */
    public AttentionResult forward(Tensor decoder, Tensor encoder) {
        return forward(decoder, encoder, Mask.none());
    }

    /**
     * Attends with source padding: source sequence {@code b} has {@code sourceLengths[b]} real
     * positions (one entry without a batch axis).
     *
     * @param decoder       {@code [B, T, Hd]}, {@code [B, Hd]}, {@code [T, Hd]} or {@code [Hd]}; not
     *                      modified
     * @param encoder       {@code [B, S, He]} or {@code [S, He]}; not modified
     * @param sourceLengths {@code B} entries (one without a batch axis), each in {@code [0, S]}; a
     *                      length of 0 gives that sequence context 0, weights 0 and logSumExp −∞
     * @return output = context {@code [B, T, He]}, weights {@code [B, T, S]} (exactly 0 on
     *         padding), logSumExp {@code [B, T]} (without the axes the inputs lack); new tensors
     * @throws IllegalArgumentException as {@link #forward(Tensor, Tensor, Mask)}, or if
     *                                  {@code sourceLengths} is null or its count or a value is
     *                                  wrong
     */
    public AttentionResult forward(Tensor decoder, Tensor encoder, int... sourceLengths) {
        Inputs in = inputs(decoder, encoder);
        return forward(
                decoder,
                encoder,
                AdditiveAttentionPooling.paddingMask(
                        sourceLengths, in.encoder.shape(0), in.encoder.shape(1), "source sequence"));
    }

    /**
     * Attends each decoder state to the encoder states under {@code mask}.
     *
     * @param decoder {@code [B, T, Hd]}, {@code [B, Hd]}, {@code [T, Hd]} or {@code [Hd]}; not modified
     * @param encoder {@code [B, S, He]} or {@code [S, He]}; not modified
     * @param mask    broadcast against the scores {@code [B, T, S]} (see the class documentation)
     * @return output = context {@code [B, T, He]}, weights {@code [B, T, S]}, logSumExp
     *         {@code [B, T]} (without the axes the inputs lack); new tensors
     * @throws IllegalArgumentException if an argument is null, the ranks, batch sizes or feature
     *                                  sizes do not fit, or the mask does not broadcast, naming the
     *                                  shapes
     */
    public AttentionResult forward(Tensor decoder, Tensor encoder, Mask mask) {
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        Inputs in = inputs(decoder, encoder);
        AttentionResult r = SCORES.apply(scores(in), in.encoder, mask);
        Tensor output = r.output();
        Tensor weights = r.weights();
        Tensor lse = r.logSumExp();
        if (in.singleStep) {
            output = output.squeeze(1);
            weights = weights.squeeze(1);
            lse = lse.squeeze(1);
        }
        if (in.unbatched) {
            return new AttentionResult(output.squeeze(0), weights.squeeze(0), lse.squeeze(0));
        }
        return new AttentionResult(output, weights, lse);
    }

    /**
     * The unmasked scores {@code score(h_t, h̄_s)}.
     *
     * @param decoder {@code [B, T, Hd]}, {@code [B, Hd]}, {@code [T, Hd]} or {@code [Hd]}; not modified
     * @param encoder {@code [B, S, He]} or {@code [S, He]}; not modified
     * @return a new tensor shaped like the weights {@link #forward} returns: {@code [B, T, S]},
     *         {@code [B, S]}, {@code [T, S]} or {@code [S]}
     * @throws IllegalArgumentException as {@link #forward(Tensor, Tensor, Mask)}
     */
    public Tensor scores(Tensor decoder, Tensor encoder) {
        Inputs in = inputs(decoder, encoder);
        Tensor s = scores(in);
        if (in.singleStep) {
            s = s.squeeze(1);
        }
        return in.unbatched ? s.squeeze(0) : s;
    }

    /** Scores {@code [B, T, S]} of decoder {@code [B, T, Hd]} against encoder {@code [B, S, He]}. */
    private Tensor scores(Inputs in) {
        Tensor dec = in.decoder;
        Tensor enc = in.encoder;
        switch (score) {
            case DOT:
                return dec.matmul(enc.transpose(1, 2));
            case GENERAL:
                return dec.matmul(first.forward(enc).transpose(1, 2));
            case CONCAT:
            case ADDITIVE: {
                Tensor[] sides = tanhSides(in);
                return TanhScores.forward(sides[0], sides[1], v.weight());
            }
            default:
                throw new AssertionError(score);
        }
    }

    /**
     * CONCAT and ADDITIVE: the decoder side {@code a [B, T, H]} and the encoder side
     * {@code c [B, S, H]} of the pairwise score {@code Σ_h v_h tanh(a[b, t, h] + c[b, s, h])}.
     */
    private Tensor[] tanhSides(Inputs in) {
        Tensor dec = in.decoder;
        Tensor enc = in.encoder;
        if (score == Score.ADDITIVE) {
            return new Tensor[] {first.forward(dec), second.forward(enc)};
        }
        // W_a [h_t; h̄_s] = W_a[:, :Hd] h_t + W_a[:, Hd:] h̄_s: project each side once, not each pair.
        int hd = dec.shape(2);
        Tensor decoderPart = dec.matmul(concatWeightT.slice(0, 0, hd));
        if (first.hasBias()) {
            decoderPart = decoderPart.add(first.bias());
        }
        return new Tensor[] {decoderPart, enc.matmul(concatWeightT.slice(0, hd, first.inFeatures()))};
    }

    /**
     * The gradients of a scalar loss with respect to the decoder and encoder states and the
     * parameters, given {@code gradOutput}, the loss's gradient with respect to the context that
     * {@code forward(decoder, encoder, mask)} returns.
     *
     * <p>Through the weighted sum and the softmax by {@link SoftmaxAttention#backward} (the encoder
     * states are the values, so they get a gradient there), then through the score function with
     * the score gradient {@code dS [B, T, S]}:
     * <pre>
     *   DOT       d(dec) = dS·enc,           d(enc) += dSᵀ·dec
     *   GENERAL   d(dec) = dS·(enc W_aᵀ),    d(enc) += (dSᵀ·dec)·W_a,   dW_a = Σ_b decᵀ·dS·enc
     *   CONCAT    with z = a_t + c_s, a = W_a[:, :Hd] dec (+ b), c = W_a[:, Hd:] enc:
     *   ADDITIVE  with a = W_a dec (+ b_a), c = U_a enc (+ b_u):
     *             dz = dS · v_a ∘ (1 − tanh² z),  dv_a = Σ dS · tanh z,  d(a_t) = Σ_s dz,  d(c_s) = Σ_t dz,
     *             then through the linear maps a and c
     * </pre>
     * The tanh is evaluated again for every (step, source, hidden) triple: {@code B·T·S·H}
     * evaluations, as in the forward, without holding them.
     *
     * <p>The parameters are named after the factory arguments that give them, in this order:
     * DOT none; GENERAL {@code wa} {@code [Hd, He]}; CONCAT {@code wa.weight} {@code [H, Hd+He]},
     * {@code wa.bias} {@code [H]} (when {@code W_a} has a bias), {@code va} {@code [H]}; ADDITIVE
     * {@code wa.weight} {@code [H, Hd]}, {@code wa.bias}, {@code ua.weight} {@code [H, He]},
     * {@code ua.bias} (each bias only when its layer has one), {@code va} {@code [H]}.
     *
     * <p>The forward is computed again (no forward result is passed in), about the cost of one
     * forward on top of the backward's own. Masked pairs (weight 0) pass no gradient; a target step
     * that may attend to nothing gets a zero decoder gradient and gives none — never NaN. The mask
     * gets no gradient.
     *
     * @param decoder    {@code [B, T, Hd]}, {@code [B, Hd]}, {@code [T, Hd]} or {@code [Hd]}, as given
     *                   to {@code forward}; not modified
     * @param encoder    {@code [B, S, He]} or {@code [S, He]}; not modified
     * @param mask       as given to {@code forward}
     * @param gradOutput ∂loss/∂context, shaped like the context {@code forward} returns
     *                   ({@code [B, T, He]} without the axes the inputs lack); not modified
     * @return the decoder and encoder gradients, shaped like the inputs, and the parameter
     *         gradients; new tensors
     * @throws IllegalArgumentException if an argument is null, the inputs or the mask do not fit as
     *                                  in {@link #forward(Tensor, Tensor, Mask)}, or
     *                                  {@code gradOutput} is not shaped like the context — naming the
     *                                  shapes
     */
    public Gradients backward(Tensor decoder, Tensor encoder, Mask mask, Tensor gradOutput) {
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null; use Mask.none()");
        }
        Inputs in = inputs(decoder, encoder);
        if (gradOutput == null) {
            throw new IllegalArgumentException("gradOutput must not be null");
        }
        Tensor dec = in.decoder;
        Tensor enc = in.encoder;
        int batch = enc.shape(0);
        int steps = dec.shape(1);
        int he = enc.shape(2);
        int[] context = in.unbatched
                ? (in.singleStep ? new int[] {he} : new int[] {steps, he})
                : (in.singleStep ? new int[] {batch, he} : new int[] {batch, steps, he});
        if (!Arrays.equals(gradOutput.shape(), context)) {
            throw new IllegalArgumentException("gradOutput must be shaped like the context " + Arrays.toString(context)
                    + " of decoder " + Arrays.toString(decoder.shape()) + " and encoder "
                    + Arrays.toString(encoder.shape()) + ", got " + Arrays.toString(gradOutput.shape()));
        }
        Tensor gy = gradOutput.reshape(batch, steps, he);
        Tensor[] sides = score == Score.CONCAT || score == Score.ADDITIVE ? tanhSides(in) : null;
        Tensor scores = sides != null ? TanhScores.forward(sides[0], sides[1], v.weight()) : scores(in);
        AttentionResult r = SCORES.apply(scores, enc, mask);
        SoftmaxAttention.Gradients sg = SCORES.backward(scores, enc, mask, r, gy);
        Tensor ds = sg.scores();
        Tensor dEnc = sg.value();
        Tensor dDec;
        Map<String, Tensor> p = new LinkedHashMap<>();
        switch (score) {
            case DOT:
                dDec = ds.matmul(enc);
                dEnc = dEnc.add(ds.transpose(1, 2).matmul(dec));
                break;
            case GENERAL: {
                // scores = dec · (enc W_aᵀ)ᵀ: the encoder side is a linear map of the encoder states.
                Tensor projected = first.forward(enc);
                dDec = ds.matmul(projected);
                Tensor dProjected = ds.transpose(1, 2).matmul(dec);
                p.put("wa", ParameterGradients.weight(dProjected, enc));
                dEnc = dEnc.add(ParameterGradients.input(dProjected, first.weight()));
                break;
            }
            case CONCAT: {
                Tensor[] d = TanhScores.backward(sides[0], sides[1], v.weight(), ds);
                int hd = dec.shape(2);
                Tensor w = first.weight();
                dDec = ParameterGradients.input(d[0], w.slice(1, 0, hd));
                dEnc = dEnc.add(ParameterGradients.input(d[1], w.slice(1, hd, hd + he)));
                p.put(
                        "wa.weight",
                        TanhScores.columns(ParameterGradients.weight(d[0], dec), ParameterGradients.weight(d[1], enc)));
                if (first.hasBias()) {
                    p.put("wa.bias", ParameterGradients.bias(d[0]));
                }
                p.put("va", d[2]);
                break;
            }
            case ADDITIVE: {
                Tensor[] d = TanhScores.backward(sides[0], sides[1], v.weight(), ds);
                dDec = ParameterGradients.input(d[0], first.weight());
                dEnc = dEnc.add(ParameterGradients.input(d[1], second.weight()));
                p.put("wa.weight", ParameterGradients.weight(d[0], dec));
                if (first.hasBias()) {
                    p.put("wa.bias", ParameterGradients.bias(d[0]));
                }
                p.put("ua.weight", ParameterGradients.weight(d[1], enc));
                if (second.hasBias()) {
                    p.put("ua.bias", ParameterGradients.bias(d[1]));
                }
                p.put("va", d[2]);
                break;
            }
            default:
                throw new AssertionError(score);
        }
        return new Gradients(dDec.reshape(decoder.shape()), dEnc.reshape(encoder.shape()), p);
    }

    /**
     * {@link #backward(Tensor, Tensor, Mask, Tensor)} without a mask.
     *
     * @param decoder    {@code [B, T, Hd]}, {@code [B, Hd]}, {@code [T, Hd]} or {@code [Hd]}; not modified
     * @param encoder    {@code [B, S, He]} or {@code [S, He]}; not modified
     * @param gradOutput ∂loss/∂context, shaped like the context; not modified
     * @return the decoder, encoder and parameter gradients; new tensors
     * @throws IllegalArgumentException as {@link #backward(Tensor, Tensor, Mask, Tensor)}
     */
    public Gradients backward(Tensor decoder, Tensor encoder, Tensor gradOutput) {
        return backward(decoder, encoder, Mask.none(), gradOutput);
    }

    /**
     * {@link #backward(Tensor, Tensor, Mask, Tensor)} with source padding, as
     * {@link #forward(Tensor, Tensor, int...)} takes it.
     *
     * @param decoder       {@code [B, T, Hd]}, {@code [B, Hd]}, {@code [T, Hd]} or {@code [Hd]}; not
     *                      modified
     * @param encoder       {@code [B, S, He]} or {@code [S, He]}; not modified
     * @param sourceLengths {@code B} entries (one without a batch axis), each in {@code [0, S]}; not
     *                      modified
     * @param gradOutput    ∂loss/∂context, shaped like the context; not modified
     * @return the decoder, encoder (exactly 0 on padding) and parameter gradients; new tensors
     * @throws IllegalArgumentException as {@link #backward(Tensor, Tensor, Mask, Tensor)}, or if
     *                                  {@code sourceLengths} is null or its count or a value is
     *                                  wrong
     */
    public Gradients backward(Tensor decoder, Tensor encoder, int[] sourceLengths, Tensor gradOutput) {
        Inputs in = inputs(decoder, encoder);
        return backward(
                decoder,
                encoder,
                AdditiveAttentionPooling.paddingMask(
                        sourceLengths, in.encoder.shape(0), in.encoder.shape(1), "source sequence"),
                gradOutput);
    }

    /**
     * What {@link #backward(Tensor, Tensor, Mask, Tensor)} returns. The tensors are new, owned by
     * this object, none a view of an input or of the module's parameters.
     *
     * @param decoder    ∂loss/∂decoder states, shaped like the decoder input
     * @param encoder    ∂loss/∂encoder states, shaped like the encoder input: the sum of its part as
     *                   the values and its part through the scores
     * @param parameters ∂loss/∂parameter by name (see {@link #backward(Tensor, Tensor, Mask, Tensor)});
     *                   empty for DOT; an unmodifiable, insertion-ordered map
     */
    public record Gradients(Tensor decoder, Tensor encoder, Map<String, Tensor> parameters) {
        /**
         * Checks and keeps the gradients, as computed by {@code backward}.
         *
         * @param decoder    ∂loss/∂decoder; kept, not copied
         * @param encoder    ∂loss/∂encoder; kept, not copied
         * @param parameters ∂loss/∂parameter by name; the map is copied (its order kept), the
         *                   tensors are not
         * @throws NullPointerException if any argument, name or tensor is null
         */
        public Gradients {
            Objects.requireNonNull(decoder, "decoder");
            Objects.requireNonNull(encoder, "encoder");
            parameters = ParameterGradients.frozen(parameters);
        }

        /** {@return the shapes, for logs} */
        @Override
        public String toString() {
            String named = ParameterGradients.shapes(parameters);
            return "AlignmentAttention.Gradients{decoder=" + Arrays.toString(decoder.shape()) + ", encoder="
                    + Arrays.toString(encoder.shape()) + (named.isEmpty() ? "" : ", " + named) + "}";
        }
    }

    /** Decoder {@code [B, T, Hd]} and encoder {@code [B, S, He]} views, and which axes the caller lacked. */
    private static final class Inputs {
        Tensor decoder;
        Tensor encoder;
        boolean singleStep;
        boolean unbatched;
    }

    private Inputs inputs(Tensor decoder, Tensor encoder) {
        if (decoder == null || encoder == null) {
            throw new IllegalArgumentException("decoder and encoder states must not be null");
        }
        String shapes = "decoder " + Arrays.toString(decoder.shape()) + ", encoder " + Arrays.toString(encoder.shape());
        int er = encoder.rank();
        int dr = decoder.rank();
        if ((er != 2 && er != 3) || (dr != er && dr != er - 1)) {
            throw new IllegalArgumentException("alignment attention needs encoder [B, S, He] with decoder [B, T, Hd] "
                    + "or [B, Hd], or encoder [S, He] with decoder [T, Hd] or [Hd]; got " + shapes);
        }
        Inputs in = new Inputs();
        in.unbatched = er == 2;
        in.singleStep = dr == er - 1;
        Tensor enc = in.unbatched ? encoder.unsqueeze(0) : encoder;
        Tensor dec = in.unbatched ? decoder.unsqueeze(0) : decoder;
        if (in.singleStep) {
            dec = dec.unsqueeze(1);
        }
        if (dec.shape(0) != enc.shape(0)) {
            throw new IllegalArgumentException("decoder and encoder states differ in batch size: " + shapes);
        }
        int hd = dec.shape(2);
        int he = enc.shape(2);
        String needed = null;
        switch (score) {
            case DOT:
                if (hd != he) {
                    needed = "the dot score needs decoder and encoder states of the same size (" + hd + " vs " + he
                            + ")";
                }
                break;
            case GENERAL:
                if (hd != first.outFeatures() || he != first.inFeatures()) {
                    needed = "the general score's W_a is [" + first.outFeatures() + ", " + first.inFeatures()
                            + "], so it needs decoder size " + first.outFeatures() + " and encoder size "
                            + first.inFeatures();
                }
                break;
            case CONCAT:
                if (hd + he != first.inFeatures()) {
                    needed = "the concat score's W_a takes [h_t; h̄_s] of size " + first.inFeatures()
                            + ", but decoder size + encoder size = " + hd + " + " + he;
                }
                break;
            case ADDITIVE:
                if (hd != first.inFeatures() || he != second.inFeatures()) {
                    needed = "the additive score needs decoder size " + first.inFeatures() + " (W_a) and encoder size "
                            + second.inFeatures() + " (U_a)";
                }
                break;
            default:
                throw new AssertionError(score);
        }
        if (needed != null) {
            throw new IllegalArgumentException(needed + "; got " + shapes);
        }
        in.decoder = dec;
        in.encoder = enc;
        return in;
    }

    /**
     * Which score function this is.
     *
     * @return the score given by the factory that made this attention
     */
    public Score score() {
        return score;
    }

    @Override
    public String toString() {
        switch (score) {
            case DOT:
                return "AlignmentAttention{score=DOT}";
            case GENERAL:
                return "AlignmentAttention{score=GENERAL, W_a=[" + first.outFeatures() + ", " + first.inFeatures()
                        + "]}";
            case CONCAT:
                return "AlignmentAttention{score=CONCAT, W_a=[" + first.outFeatures() + ", " + first.inFeatures()
                        + "]}";
            default:
                return "AlignmentAttention{score=ADDITIVE, W_a=[" + first.outFeatures() + ", " + first.inFeatures()
                        + "], U_a=[" + second.outFeatures() + ", " + second.inFeatures() + "]}";
        }
    }
}
