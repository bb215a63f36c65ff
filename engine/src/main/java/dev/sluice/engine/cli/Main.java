package dev.sluice.engine.cli;

import dev.sluice.engine.datasets.DefaultDataset;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar train.jar [COMMAND] [OPTIONS]}: trains by default; {@code ingest}, {@code inspect},
 * {@code verify} and {@code bench} handle datasets and measurements.
 */
@Command(name = "train.jar",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Sluice: stream chunked datasets from disk or S3 and train DJL models on CPUs and GPUs.",
            "",
            "With no command, trains: 'java -jar train.jar' imports Fashion-MNIST (Debian package"
                    + " dataset-fashion-mnist) once and trains the default model on it.",
        },
        subcommands = {TrainCommand.class, IngestCommand.class, InspectCommand.class, VerifyCommand.class,
            BenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'java -jar train.jar COMMAND --help' for the options of a command."})
public final class Main implements Runnable {

    private static final List<String> COMMAND_ORDER = List.of("train", "ingest", "inspect", "verify", "bench", "help");
    private static final Set<String> COMMANDS = Set.copyOf(COMMAND_ORDER);

    /** Exit code for problems the user can fix (bad option, missing data). */
    public static final int USAGE = 2;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        configureRuntime();
        String[] effective = args;
        boolean topLevelFlag = args.length > 0 && (args[0].equals("-h") || args[0].equals("--help")
                || args[0].equals("-V") || args[0].equals("--version"));
        if (args.length > 0 && !args[0].startsWith("-") && !COMMANDS.contains(args[0])) {
            // 'train' takes no positional argument, so a first word that is no option is a mistyped command
            err.println("error: '" + args[0] + "' is not a command; the commands are " + String.join(", ", COMMAND_ORDER)
                    + ". Run 'java -jar train.jar --help' for what each does.");
            return USAGE;
        }
        if (args.length == 0 || (!COMMANDS.contains(args[0]) && !topLevelFlag)) {
            effective = new String[args.length + 1];
            effective[0] = "train";
            System.arraycopy(args, 0, effective, 1, args.length);
        }
        CommandLine cli = new CommandLine(new Main());
        // scripts often append to a base command line: the last value of an option wins
        cli.setOverwrittenOptionsAllowed(true);
        cli.setUsageHelpWidth(110);
        cli.setOut(out);
        cli.setErr(err);
        // a mistyped option: the error, picocli's near matches and where the options are listed, not the
        // whole usage text, which would push the error off the screen
        cli.setParameterExceptionHandler((e, rejected) -> {
            PrintWriter w = e.getCommandLine().getErr();
            w.println("error: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, w);
            w.println("Run 'java -jar " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for its options.");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable t = e;
            if (t instanceof UserException || t instanceof DefaultDataset.NotInstalledException) {
                err.println("error: " + t.getMessage());
                return USAGE;
            }
            err.println("error: " + describe(t));
            if (System.getenv("SLUICE_DEBUG") != null) {
                t.printStackTrace(err);
            } else {
                err.println("(set SLUICE_DEBUG=1 for the stack trace)");
            }
            return 1;
        });
        try {
            return cli.execute(effective);
        } catch (Error e) {
            // picocli hands only Exceptions to the handler above; a native library that fails to load
            // (ExceptionInInitializerError, UnsatisfiedLinkError) still deserves an error line
            err.println("error: " + describe(e));
            if (System.getenv("SLUICE_DEBUG") != null) {
                e.printStackTrace(err);
            } else {
                err.println("(set SLUICE_DEBUG=1 for the stack trace)");
            }
            return 1;
        }
    }

    /**
     * One line per cause, most specific last, leaving out a cause whose words an outer message
     * already gives (a wrapper that quotes its cause says it once).
     */
    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = message(c);
            if (sb.indexOf(m) < 0) {
                if (sb.length() > 0) {
                    sb.append("\n  caused by: ");
                }
                sb.append(m);
            }
        }
        return sb.toString();
    }

    /** A wrapped exception's class name that libraries put in front of its message ("com.x.FooException: "). */
    private static final Pattern CLASS_PREFIX = Pattern.compile("^(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*: ");

    /**
     * What one exception says, in words a user can act on. The JDK's file-system exceptions carry
     * only the path when the operating system gave no reason ({@code NoSuchFileException: /x}), so
     * their kind is spelt out; a library's advice to programmers after its message (Gson's "See
     * https://...") and the class name a wrapper repeats are dropped.
     */
    static String message(Throwable c) {
        String m = c.getMessage();
        if (c instanceof FileSystemException f && f.getReason() == null) {
            String what = c instanceof NoSuchFileException ? "no such file or directory"
                    : c instanceof AccessDeniedException ? "permission denied"
                    : c instanceof NotDirectoryException ? "not a directory (a file is in the way)"
                    : c instanceof FileAlreadyExistsException ? "already exists"
                    : c instanceof DirectoryNotEmptyException ? "directory not empty"
                    : null;
            if (what != null) {
                return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + what;
            }
        }
        if (m == null || m.isBlank()) {
            return c.getClass().getSimpleName();
        }
        int advice = m.indexOf("\nSee http");
        if (advice >= 0) {
            m = m.substring(0, advice);
        }
        return CLASS_PREFIX.matcher(m).replaceFirst("");
    }

    /** DJL must never download anything; logging stays quiet unless asked (the examples call it too). */
    public static void configureRuntime() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("java.awt.headless", "true");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        // log lines read as "WARN - message" for people, without thread and class names
        System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
        System.setProperty("org.slf4j.simpleLogger.showLogName", "false");
        // DJL probes CUDA even with CPU natives and warns when a toolkit exists without a driver;
        // Sluice reports devices itself, once
        if (System.getProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        }
        // JavaCPP (OpenCV's and CUDA's presets) compares the process's resident memory with a cap of
        // four times the heap (1.5.14's default, maxBytes + 3 x heap) before each native allocation it tracks, reading /proc/self/statm each
        // time (several per decoded image), and throws OutOfMemoryError above it. Resident memory here
        // is mostly PyTorch's, the CUDA driver's and our own budgeted buffers, none of it JavaCPP's:
        // the check would fail a healthy run. Heap limits stay as they are; a -D given by the user wins.
        // JavaCPP warns on stderr at every start that the OpenCV and OpenBLAS presets (1.5.13, the newest
        // OpenCV that Maven Central serves) were built for another JavaCPP than ours (1.5.14): known, tested,
        // and nothing a user can act on. Through SLF4J its warnings can be kept to errors.
        if (System.getProperty("org.bytedeco.javacpp.logger") == null) {
            System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
            if (System.getProperty("org.slf4j.simpleLogger.log.org.bytedeco.javacpp.Loader") == null) {
                System.setProperty("org.slf4j.simpleLogger.log.org.bytedeco.javacpp.Loader", "error");
            }
        }
        if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null
                && System.getProperty("org.bytedeco.javacpp.maxphysicalbytes") == null) {
            System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
        }
    }

    @Override
    public void run() {
        // never reached: a subcommand is always selected
        throw new UserException("no command given; see --help");
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"Sluice " + (v == null ? "development build" : v),
                "DJL 0.36.0, PyTorch 2.7.1 (CPU natives), Java " + System.getProperty("java.version")};
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
