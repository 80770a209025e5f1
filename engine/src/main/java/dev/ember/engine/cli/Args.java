package dev.ember.engine.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** `--name value` and `--flag` command-line options, with errors that name the option. */
final class Args {
    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final Map<String, List<String>> repeated = new HashMap<>();
    private final Set<String> flags = new HashSet<>();
    private final Set<String> used = new HashSet<>();
    /** Options read with {@link #all}: the only ones that may be given more than once. */
    private final Set<String> multi = new HashSet<>();

    Args(String command, String[] argv, int from, Set<String> booleanFlags) {
        this.command = command;
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("-")) throw new UsageException(command + ": unexpected argument '" + a + "'");
            String name = a.replaceFirst("^--?", "");
            int eq = name.indexOf('=');
            if (eq >= 0) {
                values.put(name.substring(0, eq), name.substring(eq + 1));
                repeated.computeIfAbsent(name.substring(0, eq), k -> new java.util.ArrayList<>()).add(name.substring(eq + 1));
            } else if (booleanFlags.contains(name)) {
                flags.add(name);
            } else {
                if (i + 1 >= argv.length) throw new UsageException(command + ": option --" + name + " needs a value");
                values.put(name, argv[++i]);
                repeated.computeIfAbsent(name, k -> new java.util.ArrayList<>()).add(argv[i]);
            }
        }
    }

    boolean flag(String name) {
        used.add(name);
        return flags.contains(name);
    }

    String string(String name, String fallback) {
        used.add(name);
        return values.getOrDefault(name, fallback);
    }

    String required(String name) {
        used.add(name);
        String v = values.get(name);
        if (v == null) throw new UsageException(command + ": missing required option --" + name);
        return v;
    }

    Path path(String name) { return Path.of(required(name)); }

    /** {@code --kv-cache-type} and {@code --kv-cache-bytes} applied to {@code base}. */
    dev.ember.engine.api.EngineOptions cacheOptions(dev.ember.engine.api.EngineOptions base) {
        return base.withKvCacheType(cacheType(base.kvCacheType())).withKvCacheBytes(bytes("kv-cache-bytes", base.kvCacheBytes()));
    }

    /** {@code --kv-cache-type}, or {@code fallback}. */
    dev.ember.engine.api.KvCacheType cacheType(dev.ember.engine.api.KvCacheType fallback) {
        String type = string("kv-cache-type", null);
        if (type == null) return fallback;
        try {
            return dev.ember.engine.api.KvCacheType.parse(type);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": --kv-cache-type: " + e.getMessage());
        }
    }

    /** A byte count: digits with an optional k, m, g or t suffix (binary units; "8g", "8GiB", "512m"). */
    long bytes(String name, long fallback) {
        String v = string(name, null);
        if (v == null) return fallback;
        String s = v.trim().toLowerCase(java.util.Locale.ROOT).replace("ib", "").replace("b", "");
        int shift = s.endsWith("k") ? 10 : s.endsWith("m") ? 20 : s.endsWith("g") ? 30 : s.endsWith("t") ? 40 : 0;
        try {
            long n = Long.parseLong(shift == 0 ? s : s.substring(0, s.length() - 1));
            if (n < 0 || (shift > 0 && n > (Long.MAX_VALUE >> shift))) throw new NumberFormatException();
            return n << shift;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a byte count like 8g or 512m, got '" + v + "'");
        }
    }

    int integer(String name, int fallback) {
        String v = string(name, null);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, got '" + v + "'");
        }
    }

    long longValue(String name, long fallback) {
        String v = string(name, null);
        if (v == null) return fallback;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, got '" + v + "'");
        }
    }

    float real(String name, float fallback) {
        String v = string(name, null);
        if (v == null) return fallback;
        try {
            return Float.parseFloat(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a number, got '" + v + "'");
        }
    }

    int[] intList(String name) {
        String v = required(name);
        String[] parts = v.split("[,\\s]+");
        int[] out = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) out[i] = Integer.parseInt(parts[i].trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be comma-separated integers, got '" + v + "'");
        }
        return out;
    }

    /** Every value given for a repeatable option, in order ({@code --stop a --stop b}). */
    List<String> all(String name) {
        used.add(name);
        multi.add(name);
        return List.copyOf(repeated.getOrDefault(name, List.of()));
    }

    /** Fails on options no one asked for: a typo should not be silently ignored. */
    void rejectUnknown() {
        for (String k : values.keySet()) if (!used.contains(k)) throw new UsageException(command + ": unknown option --" + k);
        for (String k : flags) if (!used.contains(k)) throw new UsageException(command + ": unknown option --" + k);
        for (Map.Entry<String, List<String>> e : repeated.entrySet()) {
            if (e.getValue().size() > 1 && !multi.contains(e.getKey())) {
                throw new UsageException(command + ": option --" + e.getKey() + " given " + e.getValue().size()
                        + " times (" + String.join(", ", e.getValue()) + "); give it once");
            }
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String m) { super(m); }
    }
}
