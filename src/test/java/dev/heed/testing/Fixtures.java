package dev.heed.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads the reference fixtures written by {@code src/test/python/make_fixtures.py} from the
 * classpath ({@code /dev/heed/fixtures/<file>}). Independent of the library: values come back as
 * {@code double[]} plus a shape.
 *
 * <p>Format (see the script's docstring): {@code case <name>} starts a case; then
 * {@code tensor <name> <rank> <dims...>} followed by one line of values, {@code ints <name>
 * <values...>}, {@code scalar <name> <value>}, {@code string <name> <value>}. Doubles are Python
 * {@code repr(float)}, with {@code inf}, {@code -inf} and {@code nan} for the specials. Blank lines
 * and lines starting with {@code #} are ignored.
 */
public final class Fixtures {

    private static final String ROOT = "/dev/heed/fixtures/";

    private Fixtures() {}

    /** A named tensor: row-major values and a shape (rank 0 has shape {@code []} and one value). */
    public record TensorData(String name, double[] data, int[] shape) {
        /** A fresh copy of the values, safe to hand to {@code Tensor.of}, which does not copy. */
        public double[] copyOfData() {
            return data.clone();
        }

        public int rank() {
            return shape.length;
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape);
        }
    }

    /** One {@code case} block. */
    public static final class Case {
        private final String file;
        private final String name;
        private final Map<String, TensorData> tensors = new LinkedHashMap<>();
        private final Map<String, int[]> ints = new LinkedHashMap<>();
        private final Map<String, Double> scalars = new LinkedHashMap<>();
        private final Map<String, String> strings = new LinkedHashMap<>();

        Case(String file, String name) {
            this.file = file;
            this.name = name;
        }

        public String name() {
            return name;
        }

        public String file() {
            return file;
        }

        public TensorData tensor(String key) {
            return require(tensors, key, "tensor");
        }

        public boolean hasTensor(String key) {
            return tensors.containsKey(key);
        }

        public int[] ints(String key) {
            return require(ints, key, "ints").clone();
        }

        public double scalar(String key) {
            return require(scalars, key, "scalar");
        }

        /** A scalar that the script wrote from an integer (dimensions, counts). */
        public int intScalar(String key) {
            double v = scalar(key);
            int i = (int) v;
            if (i != v) {
                throw new IllegalStateException(this + ": scalar " + key + " = " + v + " is not an integer");
            }
            return i;
        }

        public Optional<Double> optionalScalar(String key) {
            return Optional.ofNullable(scalars.get(key));
        }

        public String string(String key) {
            return require(strings, key, "string");
        }

        public Optional<String> optionalString(String key) {
            return Optional.ofNullable(strings.get(key));
        }

        public List<String> tensorNames() {
            return List.copyOf(tensors.keySet());
        }

        private <T> T require(Map<String, T> map, String key, String kind) {
            T value = map.get(key);
            if (value == null) {
                throw new IllegalArgumentException(this + ": no " + kind + " named '" + key + "'");
            }
            return value;
        }

        private void checkNew(String key, int lineNo) {
            if (tensors.containsKey(key)
                    || ints.containsKey(key)
                    || scalars.containsKey(key)
                    || strings.containsKey(key)) {
                throw new IllegalStateException(file + ":" + lineNo + ": duplicate entry '" + key + "' in " + name);
            }
        }

        @Override
        public String toString() {
            return file + "#" + name;
        }
    }

    /** All cases of one fixture file, in file order. */
    public static List<Case> load(String file) {
        String resource = ROOT + file;
        try (InputStream in = Fixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("fixture not on the classpath: " + resource
                        + " (regenerate with /usr/bin/python3 src/test/python/make_fixtures.py)");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            return parse(file, reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The case of that name in that file. */
    public static Case load(String file, String caseName) {
        return load(file).stream()
                .filter(c -> c.name().equals(caseName))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no case " + caseName + " in " + file));
    }

    static List<Case> parse(String file, BufferedReader reader) throws IOException {
        List<Case> cases = new ArrayList<>();
        Case current = null;
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] head = line.split(" ", 3);
            String kind = head[0];
            if (kind.equals("case")) {
                if (head.length < 2 || line.substring(5).isBlank()) {
                    throw error(file, lineNo, "case without a name");
                }
                current = new Case(file, line.substring(5).strip());
                for (Case c : cases) {
                    if (c.name().equals(current.name())) {
                        throw error(file, lineNo, "duplicate case " + current.name());
                    }
                }
                cases.add(current);
                continue;
            }
            if (current == null) {
                throw error(file, lineNo, "entry before the first 'case'");
            }
            if (head.length < 2) {
                throw error(file, lineNo, "entry without a name: " + line);
            }
            String name = head[1];
            String rest = head.length > 2 ? head[2] : "";
            switch (kind) {
                case "tensor" -> {
                    String[] dims =
                            rest.isBlank() ? new String[0] : rest.strip().split(" +");
                    if (dims.length < 1) {
                        throw error(file, lineNo, "tensor " + name + " without a rank");
                    }
                    int rank = Integer.parseInt(dims[0]);
                    if (dims.length != rank + 1) {
                        throw error(
                                file,
                                lineNo,
                                "tensor " + name + ": rank " + rank + " but " + (dims.length - 1) + " dimensions");
                    }
                    int[] shape = new int[rank];
                    long size = 1;
                    for (int i = 0; i < rank; i++) {
                        shape[i] = Integer.parseInt(dims[i + 1]);
                        if (shape[i] < 0) {
                            throw error(file, lineNo, "negative dimension");
                        }
                        size *= shape[i];
                    }
                    String values = reader.readLine();
                    lineNo++;
                    if (values == null) {
                        throw error(file, lineNo, "tensor " + name + ": missing value line");
                    }
                    String[] tokens =
                            values.isBlank() ? new String[0] : values.strip().split(" +");
                    if (tokens.length != size) {
                        throw error(
                                file,
                                lineNo,
                                "tensor " + name + ": expected " + size + " values, found " + tokens.length);
                    }
                    double[] data = new double[tokens.length];
                    for (int i = 0; i < tokens.length; i++) {
                        data[i] = parseDouble(tokens[i], file, lineNo);
                    }
                    current.checkNew(name, lineNo);
                    current.tensors.put(name, new TensorData(name, data, shape));
                }
                case "ints" -> {
                    String[] tokens =
                            rest.isBlank() ? new String[0] : rest.strip().split(" +");
                    int[] values = new int[tokens.length];
                    for (int i = 0; i < tokens.length; i++) {
                        values[i] = Integer.parseInt(tokens[i]);
                    }
                    current.checkNew(name, lineNo);
                    current.ints.put(name, values);
                }
                case "scalar" -> {
                    current.checkNew(name, lineNo);
                    current.scalars.put(name, parseDouble(rest.strip(), file, lineNo));
                }
                case "string" -> {
                    current.checkNew(name, lineNo);
                    current.strings.put(name, rest.strip());
                }
                default -> throw error(file, lineNo, "unknown entry kind '" + kind + "'");
            }
        }
        return Collections.unmodifiableList(cases);
    }

    /** Python's repr(float), plus inf / -inf / nan. */
    public static double parseDouble(String token, String file, int lineNo) {
        Objects.requireNonNull(token);
        switch (token) {
            case "inf", "+inf" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-inf" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "nan" -> {
                return Double.NaN;
            }
            default -> {
                try {
                    return Double.parseDouble(token);
                } catch (NumberFormatException e) {
                    throw error(file, lineNo, "not a number: '" + token + "'");
                }
            }
        }
    }

    private static IllegalStateException error(String file, int lineNo, String message) {
        return new IllegalStateException(file + ":" + lineNo + ": " + message);
    }
}
