/**
 * Tensors in the files NumPy, PyTorch and Hugging Face use, read without Python and written so
 * that they read them.
 *
 * <p>{@link dev.heed.io.Npy} reads and writes NumPy's {@code .npy} and {@code .npz} files;
 * {@link dev.heed.io.SafeTensors} the safetensors format; {@link dev.heed.io.StateDicts} turns a
 * PyTorch {@code nn.MultiheadAttention} state dict, read from either, into a
 * {@link dev.heed.attention.MultiHeadAttention} and back. Readers accept the common element types
 * and convert them to {@code double}; writers produce float64. Every reader checks a file against
 * its own length before allocating anything for it, and reports a malformed or hostile file as an
 * {@link java.io.IOException} that names the file and the problem. Tensors read are new and own
 * their data; tensors written are not modified, and any layout (views included) is written in
 * row-major order.
 */
package dev.heed.io;
