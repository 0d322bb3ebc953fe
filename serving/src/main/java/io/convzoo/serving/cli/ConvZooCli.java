package io.convzoo.serving.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/convzoo}: the ConvZoo command line. */
@Command(name = "convzoo", mixinStandardHelpOptions = true, version = "ConvZoo 0.1.0",
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

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (used by tests). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new ConvZooCli());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // A user mistake (unknown id, bad shape) is one clear line, not a stack trace.
            if (ex instanceof IllegalArgumentException || ex instanceof java.io.IOException) {
                cmd.getErr().println("convzoo: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cli.execute(args);
    }
}
