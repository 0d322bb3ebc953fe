package io.convzoo.serving.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/convzoo}: the ConvZoo command line. */
@Command(name = "convzoo", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = "Modern convolution families as a DJL model zoo: list, summarize, run.",
        subcommands = {
            ModelsCommand.class,
            SummaryCommand.class,
            FinetuneCommand.class,
            EvalCommand.class,
            ImportCommand.class,
            InstallCommand.class,
            PredictCommand.class,
            ExportCommand.class,
            ServeCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class ConvZooCli {

    private ConvZooCli() {}

    /** {@code --version}: the project version the build wrote into version.properties. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = ConvZooCli.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"ConvZoo " + p.getProperty("version", "(unknown version)")};
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** A zoo message in the command line's words: its flags, not the Java API's calls. */
    static String forCommandLine(String message) {
        return message == null ? "" : message.replace(io.convzoo.zoo.djl.PretrainedWeights.UNTRAINED_IN_JAVA,
                "run it untrained with --untrained");
    }

    /** Runs the command line and returns the exit code (used by tests). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new ConvZooCli());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // A user mistake (unknown id, bad shape) is one clear line, not a stack trace.
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.IOException) {
                cmd.getErr().println("convzoo: " + forCommandLine(ex.getMessage()));
                return 2;
            }
            throw ex;
        });
        return cli.execute(args);
    }
}
