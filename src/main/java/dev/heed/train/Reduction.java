package dev.heed.train;

/** How a loss combines its per-element values, as PyTorch's {@code reduction} argument. */
public enum Reduction {
    /** The mean over the elements that count (PyTorch's default): a 0-d loss. */
    MEAN,
    /** The sum over the elements: a 0-d loss. */
    SUM,
    /** No reduction: one loss per element. */
    NONE
}
