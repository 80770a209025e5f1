package dev.ember.engine.cli;

import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;

/** The `ember` command line: one subcommand per class; `./ember` at the repo root launches this. */
public final class Main {
    interface Command {
        String usage();
        int run(String[] argv, PrintStream out) throws Exception;
    }

    static final Map<String, Command> COMMANDS = new TreeMap<>(Map.of(
            "generate", new GenerateCommand(),
            "logits", new LogitsCommand(),
            "tokenize", new TokenizeCommand(),
            "info", new InfoCommand(),
            "bench", new BenchCommand(),
            "synth", new SynthCommand(),
            "convert", new ConvertCommand(),
            "score", new ScoreCommand(),
            "embed", new EmbedCommand()));

    private Main() {}

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            printUsage(argv.length == 0 ? err : out);
            return argv.length == 0 ? 2 : 0;
        }
        Command c = COMMANDS.get(argv[0]);
        if (c == null) {
            err.println("ember: unknown command '" + argv[0] + "'");
            printUsage(err);
            return 2;
        }
        try {
            return c.run(argv, out);
        } catch (Args.UsageException e) {
            err.println("ember " + e.getMessage());
            err.println("usage: ember " + c.usage());
            return 2;
        } catch (Exception | OutOfMemoryError e) {
            err.println("ember " + argv[0] + ": " + describe(e));
            if (System.getenv("EMBER_DEBUG") != null) e.printStackTrace(err);
            return 1;
        }
    }

    /** One line for a failure; file-system errors say what went wrong, not only the path. */
    static String describe(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException f) return f.getFile() + ": no such file or directory";
        if (e instanceof java.nio.file.AccessDeniedException f) return f.getFile() + ": permission denied";
        if (e instanceof java.nio.file.NotDirectoryException f) return f.getFile() + ": not a directory";
        if (e instanceof java.nio.file.FileAlreadyExistsException f) return f.getFile() + ": already exists";
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static void printUsage(PrintStream s) {
        s.println("usage: ember <command> [options]");
        for (Map.Entry<String, Command> e : COMMANDS.entrySet()) s.println("  " + e.getValue().usage());
    }
}
