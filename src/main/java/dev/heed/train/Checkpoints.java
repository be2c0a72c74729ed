package dev.heed.train;

import dev.heed.autograd.Variable;
import dev.heed.io.SafeTensors;
import dev.heed.layers.Module;
import dev.heed.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A module's parameters saved to and loaded from a safetensors file, one tensor per parameter
 * under its {@linkplain Module#parameters() name}: PyTorch's {@code state_dict} naming, so a file
 * written by {@code safetensors.torch.save_file(model.state_dict(), path)} for a module with the
 * same names loads here, and the other way round. Values are stored as F64: a round trip is
 * bit-exact. Gradients and optimiser state are not saved.
 */
public final class Checkpoints {
    private Checkpoints() {}

    /**
     * Writes every parameter of {@code module} to {@code path}, replacing any existing file.
     *
     * @param path   the file to write
     * @param module the module; not modified
     * @throws IOException              if the file cannot be written
     * @throws IllegalArgumentException if an argument is null
     */
    public static void save(Path path, Module module) throws IOException {
        if (path == null || module == null) {
            throw new IllegalArgumentException("Checkpoints.save: " + (path == null ? "path" : "module") + " is null");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Variable> e : module.parameters().entrySet()) {
            tensors.put(e.getKey(), e.getValue().value());
        }
        SafeTensors.write(path, tensors);
    }

    /**
     * Reads {@code path} into the parameters of {@code module}, strictly (PyTorch's
     * {@code load_state_dict(strict=True)}): the file must hold exactly the module's parameter
     * names, each with the parameter's shape. If anything does not fit, nothing is loaded and the
     * exception lists every missing name, every unexpected name and every shape mismatch. Loading
     * {@linkplain Variable#assign assigns} the parameters in place, so graphs recorded before the
     * load refuse {@code backward()}; gradients are left as they are.
     *
     * @param path   the safetensors file; not modified
     * @param module the module whose parameters are overwritten
     * @throws IOException              if the file cannot be read or is not valid safetensors
     * @throws IllegalArgumentException if an argument is null, or the file's names or shapes do
     *                                  not match the module's, listing the differences
     */
    public static void load(Path path, Module module) throws IOException {
        if (path == null || module == null) {
            throw new IllegalArgumentException("Checkpoints.load: " + (path == null ? "path" : "module") + " is null");
        }
        Map<String, Tensor> file = SafeTensors.read(path);
        Map<String, Variable> params = module.parameters();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Variable> e : params.entrySet()) {
            Tensor t = file.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + " is " + Arrays.toString(t.shape()) + " in the file but "
                        + Arrays.toString(e.getValue().shape()) + " in the module");
            }
        }
        for (String name : file.keySet()) {
            if (!params.containsKey(name)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            StringBuilder m = new StringBuilder("checkpoint " + path + " does not fit the module:");
            if (!missing.isEmpty()) {
                m.append(" missing ").append(missing).append(';');
            }
            if (!unexpected.isEmpty()) {
                m.append(" unexpected ").append(unexpected).append(';');
            }
            if (!mismatched.isEmpty()) {
                m.append(" shape mismatch: ")
                        .append(String.join(", ", mismatched))
                        .append(';');
            }
            m.setLength(m.length() - 1);
            throw new IllegalArgumentException(m.toString());
        }
        for (Map.Entry<String, Variable> e : params.entrySet()) {
            e.getValue().assign(file.get(e.getKey()));
        }
    }
}
