package dev.heed.autograd;

import static dev.heed.autograd.Checks.axis;
import static dev.heed.autograd.Checks.nonEmpty;
import static dev.heed.autograd.Checks.requireTensor;
import static dev.heed.autograd.Checks.requireVariable;

import dev.heed.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link Tensor} that remembers how it was computed, so that gradients can flow back to it: reverse-mode automatic
 * differentiation over a dynamic graph, as in PyTorch.
 *
 * <p><b>Leaves and results.</b> A variable is either a <em>leaf</em> — a {@linkplain #parameter(Tensor) parameter},
 * which {@linkplain #requiresGrad() requires a gradient}, or a {@linkplain #constant(Tensor) constant}, which does not
 * — or the <em>result</em> of an operation on other variables ({@link #add}, {@link #matmul}, {@link #softmax}, …). A
 * result requires a gradient exactly when one of its inputs does; it then keeps references to its inputs and to a
 * backward rule. Nothing is recorded anywhere else: there is no global tape, and a graph lives as long as its last
 * result is reachable.
 *
 * <p><b>Gradients.</b> {@link #backward()} on a single-element result (a loss) walks the graph that produced it in
 * reverse topological order and <em>adds</em> the gradient of the loss with respect to every parameter it depends on
 * into that parameter's {@link #grad()}: gradients accumulate across calls until {@link #zeroGrad()}, as
 * {@code loss.backward()} does in PyTorch. An input that was broadcast by an operation gets its gradient summed back to
 * its own shape. Results do not keep gradients unless {@link #retainGrad()} asks them to. Unlike PyTorch, a graph is
 * not freed by {@code backward()}: calling it twice adds the gradients twice.
 *
 * <p><b>Values.</b> Every operation computes its value eagerly with the {@link Tensor} method of the same name, so the
 * value of a view operation ({@link #transpose}, {@link #slice}, …) is a view, and the others are new row-major
 * tensors. Operations never modify their inputs. Values must not be modified by the caller either; the one sanctioned
 * way to change a parameter in place is {@link #assign(Tensor)}, which optimisers use. A graph recorded before an
 * {@code assign} of one of its parameters refuses {@code backward()} (its saved values are stale), as PyTorch's version
 * counter does.
 *
 * <p><b>Shapes and errors.</b> Operations follow {@code Tensor}'s semantics (NumPy broadcasting, negative axes, batched
 * {@code matmul}). Bad arguments give an {@link IllegalArgumentException} naming the shapes or values involved, when
 * the operation is called, not later in backward.
 *
 * <p><b>Extension.</b> {@link #custom(String, Tensor, List, Backward)} records a fused operation whose value and
 * gradients the caller computes (an attention kernel with its own backward, for example).
 *
 * <p><b>Threads.</b> Separate graphs may be built and differentiated on separate threads, also when they share
 * parameters: accumulating into a parameter's gradient is synchronised on that parameter. Changing a parameter
 * ({@link #assign}, {@link #zeroGrad}, {@link #setRequiresGrad}) while another thread builds or differentiates a graph
 * over it needs external synchronisation.
 *
 * <p>Variables use identity equality: two variables with equal values are different variables.
 */
public final class Variable {
    private static final Variable[] NO_INPUTS = {};

    // The graph fields are package-private for Graph, which walks them in backward.
    private final Tensor value;
    private final String op;
    final Variable[] inputs;
    /** The version of each input when this result was recorded; see {@link #assign}. */
    final int[] inputVersions;

    final Rule rule;
    /** Shared by a parameter and the views of it, so an {@code assign} is seen through views. */
    final Version version;

    private final boolean parameter;
    boolean requiresGrad;
    boolean retainGrad;
    /** Guarded by this variable's lock; {@link Graph} adds into it. */
    Tensor grad;

    /** A counter of in-place changes, PyTorch's version counter. */
    static final class Version {
        int count;
    }

    private Variable(
            Tensor value,
            String op,
            Variable[] inputs,
            int[] inputVersions,
            Rule rule,
            Version version,
            boolean parameter,
            boolean requiresGrad) {
        this.value = value;
        this.op = op;
        this.inputs = inputs;
        this.inputVersions = inputVersions;
        this.rule = rule;
        this.version = version;
        this.parameter = parameter;
        this.requiresGrad = requiresGrad;
    }

    // ------------------------------------------------------------------ leaves

    /** A trainable leaf: a variable that requires a gradient, holding a row-major <b>copy</b> of {@code value} (so
     * optimisers may update it in place without touching the caller's tensor).
     * @param value the initial value, any shape and layout; not modified
     * @return a new parameter with no gradient yet
     * @throws IllegalArgumentException if {@code value} is null
     */
    public static Variable parameter(Tensor value) {
        requireTensor(value, "parameter value");
        return new Variable(value.copy(), "parameter", NO_INPUTS, null, null, new Version(), true, true);
    }

    /** A leaf that does not require a gradient, wrapping {@code value} <b>without copying</b>: the caller must not
     * modify the tensor while graphs built on it are in use.
     * @param value the value, any shape and layout (views allowed)
     * @return a new constant
     * @throws IllegalArgumentException if {@code value} is null
     */
    public static Variable constant(Tensor value) {
        requireTensor(value, "constant value");
        return new Variable(value, "constant", NO_INPUTS, null, null, new Version(), false, false);
    }

    /** A fused operation with a caller-supplied backward rule: the extension point for kernels that compute an
     * operation and its gradients faster together than as a composition of the operations here (PyTorch's
     * {@code torch.autograd.Function}). The result requires a gradient when one of {@code inputs} does;
     * {@code backward} is then called with the gradient of the result during {@link #backward()}, and must return one
     * gradient per input. For example
     * <pre>{@code
     * Variable y = Variable.custom("square", x.value().mul(x.value()), List.of(x),
     *         g -> List.of(g.mul(x.value()).scale(2)));
     * }</pre>
     * @param name     names the operation in messages and {@link #op()}; not blank
     * @param value    the operation's output, wrapped <b>without copying</b>: the caller must not modify it afterwards
     * @param inputs   the variables the output was computed from, in the order {@code backward} returns their
     *                 gradients; not modified; may be empty
     * @param backward the backward rule; see {@link Backward} for its contract. A rule that returns the wrong number of
     *                 gradients or a gradient of the wrong shape makes {@link #backward()} throw an
     *                 {@link IllegalStateException} naming this operation, the input and both shapes
     * @return the result
     * @throws IllegalArgumentException if an argument or an input is null, or {@code name} is blank
     */
    public static Variable custom(String name, Tensor value, List<Variable> inputs, Backward backward) {
        Variable[] in = CustomRule.checkedInputs(name, value, inputs, backward);
        return record(name, value, new CustomRule(name, backward, in), in);
    }

    // ------------------------------------------------------------------ state

    /** {@return the value: the tensor itself, not a copy; do not modify it (use {@link #assign(Tensor)})} */
    public Tensor value() {
        return value;
    }

    /** {@return the shape of the value, a new array} */
    public int[] shape() {
        return value.shape();
    }

    /** {@return the number of axes of the value: the rank, 0 for a scalar} */
    public int rank() {
        return value.rank();
    }

    /** The only element of a single-element value, e.g. a loss.
     * @return the element
     * @throws IllegalArgumentException if the value does not have exactly one element
     */
    public double item() {
        return value.item();
    }

    /** Whether gradients flow to this variable: true for a parameter (unless
     * {@linkplain #setRequiresGrad(boolean) frozen}) and for a result computed from one.
     * @return whether {@link #backward()} reaches this variable
     */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Freezes a parameter ({@code false}) or unfreezes it ({@code true}), as PyTorch's {@code requires_grad_}: graphs
     * built afterwards treat a frozen parameter as a constant, so it gets no gradient and optimisers leave it alone.
     * Graphs already built are not affected.
     * @param requiresGrad whether the parameter takes part in gradients from now on
     * @throws IllegalStateException if this variable is not a {@linkplain #parameter parameter}
     */
    public void setRequiresGrad(boolean requiresGrad) {
        requireParameter("frozen or unfrozen");
        this.requiresGrad = requiresGrad;
    }

    /** Whether this is a leaf (a parameter or a constant) rather than the result of an operation. A result that does
     * not require a gradient is recorded as a leaf, since nothing flows back through it.
     * @return true for a leaf
     */
    public boolean isLeaf() {
        return inputs.length == 0;
    }

    /** {@return the name of the operation that produced this variable: {@code "parameter"}, {@code "constant"}, an
     * operation such as {@code "matmul"}, or a custom operation's name} */
    public String op() {
        return op;
    }

    /** The accumulated gradient of the loss(es) with respect to this variable.
     * @return a row-major tensor shaped like {@link #value()}, shared, not copied (writing into it changes the
     *         gradient, as clipping does); null before any gradient arrived, after {@link #zeroGrad()}, and always for
     *         a result that does not {@link #retainGrad()}
     */
    public Tensor grad() {
        synchronized (this) {
            return grad;
        }
    }

    /** Drops the accumulated gradient ({@link #grad()} becomes null), as {@code zero_grad(set_to_none=True)}. */
    public void zeroGrad() {
        synchronized (this) {
            grad = null;
        }
    }

    /** Asks this result to keep its gradient in later {@link #backward()} calls, as PyTorch's {@code retain_grad()}; a
     * no-op on leaves, which always keep theirs.
     * @return this variable
     */
    public Variable retainGrad() {
        retainGrad = true;
        return this;
    }

    /** A constant sharing this variable's value: the same numbers, cut off from the graph ({@code detach()}).
     * @return a new constant whose value is this variable's value tensor (shared, not copied)
     */
    public Variable detach() {
        return new Variable(value, "constant", NO_INPUTS, null, null, version, false, false);
    }

    /** Overwrites a parameter's value in place with {@code newValue}'s elements, as optimisers and checkpoint loading
     * do. The tensor returned by {@link #value()} keeps its identity and its new elements are visible through every
     * view of it. Graphs recorded before this call that use the parameter refuse {@link #backward()} with an
     * {@link IllegalStateException}.
     * @param newValue the new elements, same shape, any layout; not modified
     * @throws IllegalArgumentException if {@code newValue} is null or its shape differs, naming both shapes
     * @throws IllegalStateException    if this variable is not a {@linkplain #parameter parameter}
     */
    public void assign(Tensor newValue) {
        requireTensor(newValue, "assigned value");
        requireParameter("assigned");
        if (!Arrays.equals(newValue.shape(), value.shape())) {
            throw new IllegalArgumentException("cannot assign a value of shape " + Arrays.toString(newValue.shape())
                    + " to a parameter of shape " + Arrays.toString(value.shape()));
        }
        Strided.copyInto(value, newValue);
        version.count++;
    }

    private void requireParameter(String done) {
        if (!parameter) {
            throw new IllegalStateException("only a parameter can be " + done + "; this is a " + op + " of shape "
                    + Arrays.toString(value.shape()));
        }
    }

    // ------------------------------------------------------------------ backward

    /** Computes the gradient of this single-element variable (a loss) with respect to every parameter it depends on,
     * adding it into their {@link #grad()}: {@code backward(ones)}.
     * @throws IllegalArgumentException if the value does not have exactly one element (use {@link #backward(Tensor)})
     * @throws IllegalStateException    if this variable does not require a gradient, or a parameter of the graph was
     *                                  {@linkplain #assign assigned} after the graph was recorded
     */
    public void backward() {
        if (value.size() != 1) {
            throw new IllegalArgumentException("backward() needs a single-element output such as a loss, got shape "
                    + Arrays.toString(value.shape()) + "; pass the output's gradient to backward(Tensor)");
        }
        backward(Tensor.ones(value.shape()));
    }

    /** Back-propagates {@code gradient}, the gradient of some scalar with respect to this variable, adding the
     * resulting gradients into every parameter this variable depends on (and into results that {@link #retainGrad()}).
     * Gradients flowing into one variable along several paths are summed. Each operation's backward rule runs once per
     * call.
     * @param gradient shaped like {@link #value()}; not modified
     * @throws IllegalArgumentException if {@code gradient} is null or its shape differs, naming both shapes
     * @throws IllegalStateException    if this variable does not require a gradient, a parameter of the graph was
     *                                  {@linkplain #assign assigned} after the graph was recorded, or a custom
     *                                  operation's rule broke its contract
     */
    public void backward(Tensor gradient) {
        requireTensor(gradient, "gradient");
        if (!Arrays.equals(gradient.shape(), value.shape())) {
            throw new IllegalArgumentException("backward: the gradient has shape " + Arrays.toString(gradient.shape())
                    + " but the output has shape " + Arrays.toString(value.shape()));
        }
        if (!requiresGrad) {
            throw new IllegalStateException("backward: this " + op + " output does not require a gradient: "
                    + "it was not computed from any parameter that requires one");
        }
        Graph.backward(this, gradient);
    }

    // ------------------------------------------------------------------ recording

    private static Variable record(String op, Tensor value, Rule rule, Variable... inputs) {
        return record(op, value, rule, new Version(), inputs);
    }

    private static Variable record(String op, Tensor value, Rule rule, Version version, Variable... inputs) {
        boolean any = false;
        for (Variable in : inputs) {
            any |= in.requiresGrad;
        }
        if (!any) {
            return new Variable(value, op, NO_INPUTS, null, null, version, false, false);
        }
        int[] versions = new int[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            versions[k] = inputs[k].version.count;
        }
        return new Variable(value, op, inputs.clone(), versions, rule, version, false, true);
    }

    /** Records a unary operation whose value may be a view of the input's: then they share a version. */
    private Variable view(String op, Tensor result, Rule rule) {
        return record(op, result, rule, result.data() == value.data() ? version : new Version(), this);
    }

    // ------------------------------------------------------------------ elementwise

    /** {@code this + other}, broadcasting as NumPy.
     * @param other the right operand
     * @return a new variable of the broadcast shape
     * @throws IllegalArgumentException if {@code other} is null or the shapes do not broadcast
     */
    public Variable add(Variable other) {
        requireVariable(other, "add");
        Rule rule = ElementwiseRules.add(value.shape(), other.value.shape());
        return record("add", value.add(other.value), rule, this, other);
    }

    /** {@code this - other}, broadcasting as NumPy.
     * @param other the right operand
     * @return a new variable of the broadcast shape
     * @throws IllegalArgumentException if {@code other} is null or the shapes do not broadcast
     */
    public Variable sub(Variable other) {
        requireVariable(other, "sub");
        Rule rule = ElementwiseRules.sub(value.shape(), other.value.shape(), other.requiresGrad);
        return record("sub", value.sub(other.value), rule, this, other);
    }

    /** {@code this * other} elementwise, broadcasting as NumPy.
     * @param other the right operand
     * @return a new variable of the broadcast shape
     * @throws IllegalArgumentException if {@code other} is null or the shapes do not broadcast
     */
    public Variable mul(Variable other) {
        requireVariable(other, "mul");
        Rule rule = ElementwiseRules.mul(value, other.value, requiresGrad, other.requiresGrad);
        return record("mul", value.mul(other.value), rule, this, other);
    }

    /** {@code this / other} elementwise, broadcasting as NumPy (IEEE division).
     * @param other the divisor
     * @return a new variable of the broadcast shape
     * @throws IllegalArgumentException if {@code other} is null or the shapes do not broadcast
     */
    public Variable div(Variable other) {
        requireVariable(other, "div");
        Rule rule = ElementwiseRules.div(value, other.value, requiresGrad, other.requiresGrad);
        return record("div", value.div(other.value), rule, this, other);
    }

    /** {@code this + c} elementwise.
     * @param c the constant to add
     * @return a new variable of this shape
     */
    public Variable add(double c) {
        return record("add", value.add(c), g -> new Tensor[] {g}, this);
    }

    /** {@code this · factor} elementwise.
     * @param factor the constant factor
     * @return a new variable of this shape
     */
    public Variable scale(double factor) {
        return record("scale", value.scale(factor), g -> new Tensor[] {g.scale(factor)}, this);
    }

    /** {@return {@code -this}, a new variable of this shape} */
    public Variable neg() {
        return record("neg", value.neg(), g -> new Tensor[] {g.neg()}, this);
    }

    /** {@return the hyperbolic tangent, elementwise: a new variable of this shape} */
    public Variable tanh() {
        Tensor y = value.tanh();
        return record("tanh", y, ElementwiseRules.tanh(y), this);
    }

    /** {@return {@code e^x}, elementwise: a new variable of this shape} */
    public Variable exp() {
        Tensor y = value.exp();
        return record("exp", y, g -> new Tensor[] {g.mul(y)}, this);
    }

    /** {@return the natural logarithm, elementwise ({@code log 0 = -∞}, a negative number gives NaN): a new variable
     * of this shape} */
    public Variable log() {
        Tensor x = value;
        return record("log", x.log(), g -> new Tensor[] {g.div(x)}, this);
    }

    /** The logistic sigmoid {@code 1 / (1 + e^-x)}, elementwise, computed without overflow for large {@code |x|}
     * (exactly 0 and 1 at the extremes, never NaN for a number).
     * @return a new variable of this shape
     */
    public Variable sigmoid() {
        Tensor y = ElementwiseRules.sigmoidValue(value);
        return record("sigmoid", y, ElementwiseRules.sigmoid(y), this);
    }

    /** {@code max(x, 0)}, elementwise; NaN stays NaN. The gradient is 1 where {@code x > 0} and 0 elsewhere, including
     * at 0 (as PyTorch).
     * @return a new variable of this shape
     */
    public Variable relu() {
        return record("relu", ElementwiseRules.reluValue(value), ElementwiseRules.relu(value), this);
    }

    // ------------------------------------------------------------------ softmax

    /** The softmax along {@code axis}, as {@link Tensor#softmax(int)}: stable (the row maximum is subtracted), and a
     * row of only {@code -∞} gives zeros — and zero gradients — rather than NaN.
     * @param axis the axis to normalise; negative counts from the end
     * @return a new variable of this shape
     * @throws IllegalArgumentException if the axis is out of range, naming the shape
     */
    public Variable softmax(int axis) {
        int a = axis(value, axis, "softmax");
        Tensor y = value.softmax(a);
        return record("softmax", y, SoftmaxRules.softmax(y, a), this);
    }

    /** The logarithm of the softmax along {@code axis}, computed stably as {@code (x − m) − log Σ e^(x − m)} with
     * {@code m} the row maximum: logits of ±1e6 give exact, finite results. A row of only {@code -∞} gives {@code -∞}
     * (the log of the softmax's zeros) and zero gradients; a row with NaN or {@code +∞} gives NaN.
     * @param axis the axis to normalise; negative counts from the end
     * @return a new variable of this shape
     * @throws IllegalArgumentException if the axis is out of range, naming the shape
     */
    public Variable logSoftmax(int axis) {
        int a = axis(value, axis, "logSoftmax");
        Tensor rows = SoftmaxRules.logSoftmaxRows(value, a);
        return record("logSoftmax", SoftmaxRules.swapWithLast(rows, a), SoftmaxRules.logSoftmax(rows, a), this);
    }

    // ------------------------------------------------------------------ reductions

    /** {@return the sum of all elements (0 for an empty value), a new 0-d variable} */
    public Variable sum() {
        return record("sum", Tensor.scalar(value.sum()), ShapeRules.spread(value.shape()), this);
    }

    /** The sum along {@code axis}, which is removed.
     * @param axis the axis; negative counts from the end
     * @return a new variable of rank − 1
     * @throws IllegalArgumentException if the axis is out of range, naming the shape
     */
    public Variable sum(int axis) {
        int a = axis(value, axis, "sum");
        return record("sum", value.sum(a), ShapeRules.spread(value.shape(), a), this);
    }

    /** {@return the mean of all elements (NaN for an empty value, as NumPy), a new 0-d variable} */
    public Variable mean() {
        int n = value.size();
        Rule rule = ShapeRules.average(ShapeRules.spread(value.shape()), n);
        return record("mean", Tensor.scalar(value.sum() / n), rule, this);
    }

    /** The mean along {@code axis}, which is removed.
     * @param axis the axis; negative counts from the end
     * @return a new variable of rank − 1
     * @throws IllegalArgumentException if the axis is out of range, naming the shape
     */
    public Variable mean(int axis) {
        int a = axis(value, axis, "mean");
        Rule spread = ShapeRules.spread(value.shape(), a);
        return record("mean", value.mean(a), ShapeRules.average(spread, value.shape(a)), this);
    }

    // ------------------------------------------------------------------ matmul

    /** The matrix product with NumPy's {@code matmul} rules, as {@link Tensor#matmul(Tensor)}:
     * {@code [..., n, k] @ [..., k, m] → [..., n, m]} with the leading (batch) axes broadcast; a 1-d left operand is a
     * row vector and a 1-d right operand a column vector, and that axis is dropped from the result. The gradient of a
     * broadcast operand is summed over the batch axes it was broadcast along.
     * @param other the right operand
     * @return a new variable
     * @throws IllegalArgumentException if {@code other} is null, an operand is 0-d, the inner dimensions differ or the
     *                                  batch axes do not broadcast, naming both shapes
     */
    public Variable matmul(Variable other) {
        requireVariable(other, "matmul");
        MatmulRules.requireRanks(value, other.value);
        Variable a = rank() == 1 ? unsqueeze(0) : this;
        Variable b = other.rank() == 1 ? other.unsqueeze(1) : other;
        Tensor out = MatmulRules.product(a.value, b.value, value, other.value);
        Variable c = record("matmul", out, MatmulRules.rule(a.value, b.value, a.requiresGrad, b.requiresGrad), a, b);
        if (rank() == 1) {
            c = c.squeeze(-2);
        }
        if (other.rank() == 1) {
            c = c.squeeze(-1);
        }
        return c;
    }

    // ------------------------------------------------------------------ shape

    /** The same elements in a new shape (row-major order), as {@link Tensor#reshape(int...)}: one entry may be
     * {@code -1}. The value is a view when the layout allows it, else a copy.
     * @param shape the new shape
     * @return a new variable
     * @throws IllegalArgumentException if the element counts differ, naming both shapes
     */
    public Variable reshape(int... shape) {
        int[] from = value.shape();
        return view("reshape", value.reshape(shape), g -> new Tensor[] {g.reshape(from)});
    }

    /** Axes {@code axis0} and {@code axis1} swapped; the value is a view.
     * @param axis0 an axis; negative counts from the end
     * @param axis1 another (or the same) axis
     * @return a new variable
     * @throws IllegalArgumentException if an axis is out of range, naming the shape
     */
    public Variable transpose(int axis0, int axis1) {
        return view("transpose", value.transpose(axis0, axis1), g -> new Tensor[] {g.transpose(axis0, axis1)});
    }

    /** The axes reordered: axis {@code k} of the result is axis {@code order[k]} of this; the value is a view.
     * @param order every axis once; negative axes count from the end
     * @return a new variable
     * @throws IllegalArgumentException if {@code order} does not name every axis once
     */
    public Variable permute(int... order) {
        return view("permute", value.permute(order), ShapeRules.permute(order));
    }

    /** A new size-1 axis at position {@code axis} ({@code -1} appends one); the value is a view.
     * @param axis where the new axis goes, in {@code [-rank-1, rank]}
     * @return a new variable of rank + 1
     * @throws IllegalArgumentException if the axis is out of range, naming the shape
     */
    public Variable unsqueeze(int axis) {
        Tensor out = value.unsqueeze(axis);
        int a = axis < 0 ? axis + out.rank() : axis;
        return view("unsqueeze", out, g -> new Tensor[] {g.squeeze(a)});
    }

    /** Axis {@code axis}, which must have size 1, removed; the value is a view.
     * @param axis the axis; negative counts from the end
     * @return a new variable of rank − 1
     * @throws IllegalArgumentException if the axis is out of range or its size is not 1
     */
    public Variable squeeze(int axis) {
        int a = axis(value, axis, "squeeze");
        return view("squeeze", value.squeeze(a), g -> new Tensor[] {g.unsqueeze(a)});
    }

    /** This variable stretched to {@code shape} by NumPy's broadcasting rules (PyTorch's {@code expand}); the value is
     * a view with stride 0 along stretched axes, and the gradient is summed back to this shape.
     * @param shape the target shape
     * @return a new variable
     * @throws IllegalArgumentException if this shape does not broadcast to {@code shape}
     */
    public Variable broadcastTo(int... shape) {
        int[] from = value.shape();
        return view("broadcastTo", value.broadcastTo(shape), g -> new Tensor[] {Strided.sumTo(g, from)});
    }

    /** The elements at {@code index} along {@code axis}, that axis removed; the value is a view.
     * @param axis  the axis; negative counts from the end
     * @param index the index; negative counts from the end of the axis
     * @return a new variable of rank − 1
     * @throws IllegalArgumentException if the axis or index is out of range, naming the shape
     */
    public Variable select(int axis, int index) {
        Rule rule = ShapeRules.scatter(value.shape(), dx -> dx.select(axis, index));
        return view("select", value.select(axis, index), rule);
    }

    /** Indices {@code [start, end)} along {@code axis}, as {@link Tensor#slice(int, int, int)}; the value is a view.
     * @param axis  the axis; negative counts from the end
     * @param start the first index; negative counts from the end of the axis
     * @param end   one past the last index; negative counts from the end of the axis
     * @return a new variable
     * @throws IllegalArgumentException unless {@code 0 <= start <= end <= shape(axis)} after adjustment, naming the
     *                                  shape
     */
    public Variable slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /** Indices {@code start, start + step, …} below {@code end} along {@code axis}, as
     * {@link Tensor#slice(int, int, int, int)}; the value is a (strided) view.
     * @param axis  the axis; negative counts from the end
     * @param start the first index; negative counts from the end of the axis
     * @param end   the bound; negative counts from the end of the axis
     * @param step  the step, {@code > 0}
     * @return a new variable
     * @throws IllegalArgumentException if the range or step is invalid, naming the shape
     */
    public Variable slice(int axis, int start, int end, int step) {
        Rule rule = ShapeRules.scatter(value.shape(), dx -> dx.slice(axis, start, end, step));
        return view("slice", value.slice(axis, start, end, step), rule);
    }

    /** Rows of this variable picked by index along axis 0, repeats allowed: an embedding lookup ({@code table[ids]},
     * PyTorch's {@code index_select(0, ids)}). The gradient of a row picked several times is the sum of the gradients
     * of its copies.
     * @param ids row indices, each in {@code [0, shape(0))}; not modified
     * @return a new variable {@code [ids.length, shape(1), …]}, a copy
     * @throws IllegalArgumentException if this variable is 0-d, {@code ids} is null or an id is out of range, naming
     *                                  the id, its position and the shape
     */
    public Variable gatherRows(int... ids) {
        Tensor rows = IndexingRules.gatherRowsValue(value, ids);
        return record("gatherRows", rows, IndexingRules.gatherRows(value, ids), this);
    }

    /** Variables joined along an existing axis ({@code torch.cat}). All must have the same rank and agree on every
     * other axis.
     * @param parts the variables, at least one; not modified
     * @param axis  the axis to join along; negative counts from the end
     * @return a new variable, a copy
     * @throws IllegalArgumentException if {@code parts} is null or empty, holds null, a 0-d value, or shapes that do
     *                                  not agree, naming them
     */
    public static Variable concat(List<Variable> parts, int axis) {
        Variable[] in = nonEmpty(parts, "concat");
        Tensor[] values = new Tensor[in.length];
        Arrays.setAll(values, i -> in[i].value);
        int a = IndexingRules.concatAxis(values[0], axis);
        int[] starts = IndexingRules.concatStarts(values, axis, a);
        return record("concat", IndexingRules.concatValue(values, a, starts), IndexingRules.concat(a, starts), in);
    }

    /** Variables of one shape stacked along a new axis ({@code torch.stack}).
     * @param parts the variables, at least one, all of one shape; not modified
     * @param axis  where the new axis goes, in {@code [-rank-1, rank]}
     * @return a new variable of rank + 1, a copy
     * @throws IllegalArgumentException if {@code parts} is null or empty, holds null, the shapes differ (naming them)
     *                                  or the axis is out of range
     */
    public static Variable stack(List<Variable> parts, int axis) {
        Variable[] in = nonEmpty(parts, "stack");
        int[] first = in[0].value.shape();
        List<Variable> expanded = new ArrayList<>(in.length);
        for (int i = 0; i < in.length; i++) {
            if (!Arrays.equals(in[i].value.shape(), first)) {
                throw new IllegalArgumentException("stack needs parts of one shape: part " + i + " has shape "
                        + Arrays.toString(in[i].value.shape()) + ", part 0 has " + Arrays.toString(first));
            }
            expanded.add(in[i].unsqueeze(axis));
        }
        return concat(expanded, axis);
    }

    /** A short description: the operation, the shape and whether a gradient flows.
     * @return e.g. {@code Variable{op=matmul, shape=[2, 3], requiresGrad=true}}
     */
    @Override
    public String toString() {
        return "Variable{op=" + op + ", shape=" + Arrays.toString(value.shape()) + ", requiresGrad=" + requiresGrad
                + "}";
    }
}
