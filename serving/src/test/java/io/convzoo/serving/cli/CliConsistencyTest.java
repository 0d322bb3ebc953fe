package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line as a new user meets it: one meaning per flag, ids where the other commands take them. */
class CliConsistencyTest {

    @Test
    void summaryTakesShapeAndStillAcceptsTheDeprecatedInput() {
        CliRun shape = CliRun.of("summary", "pyconvresnet_small", "--shape", "1,1,28,28", "--json");
        assertEquals(0, shape.code(), shape.err());
        assertEquals("", shape.err());
        CliRun input = CliRun.of("summary", "pyconvresnet_small", "--input", "1,1,28,28", "--json");
        assertEquals(0, input.code(), input.err());
        assertTrue(input.err().contains("--input is deprecated here, use --shape 1,1,28,28"), input.err());
        assertEquals(shape.out(), input.out());
        CliRun both = CliRun.of("summary", "pyconvresnet_small", "--shape", "1,1,28,28", "--input", "1,1,28,28");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("give --shape only"), both.err());
        CliRun bad = CliRun.of("summary", "pyconvresnet_small", "--shape", "1,1,28");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("convzoo: --shape must be N,C,H,W"), bad.err());
    }

    @Test
    void summaryScalesItsMemoryEstimateByTheBatch() {
        JsonObject one = json(CliRun.of("summary", "res2net_small", "--shape", "1,1,28,28", "--json"));
        JsonObject eight = json(CliRun.of("summary", "res2net_small", "--shape", "8,1,28,28", "--json"));
        assertEquals(8, eight.get("batch").getAsInt());
        assertEquals(8.0 * 28 * 28 * 4 / (1024 * 1024), eight.get("inputSizeMb").getAsDouble(), 0);
        assertEquals(8 * one.get("forwardBackwardSizeMb").getAsDouble(), eight.get("forwardBackwardSizeMb").getAsDouble(),
                1e-12);
        assertEquals(one.get("paramsSizeMb").getAsDouble(), eight.get("paramsSizeMb").getAsDouble(), 0);
        assertEquals(one.get("macs").getAsLong(), eight.get("macs").getAsLong(), "MACs are per sample");
    }

    @Test
    void finetuneTakesTheIdPositionallyAndKeepsModelAsAlias(@TempDir Path out) throws Exception {
        FinetuneCommand positional = new FinetuneCommand();
        new CommandLine(positional).parseArgs("res2net_small", "--out", "/tmp/x");
        assertEquals("res2net_small", positional.positionalId);
        FinetuneCommand option = new FinetuneCommand();
        new CommandLine(option).parseArgs("--model", "res2net_small", "--out", "/tmp/x");
        assertEquals("res2net_small", option.modelId);

        CliRun unknown = CliRun.of("finetune", "res2net_smal", "--out", out.toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown model 'res2net_smal'"), "the positional id is the model: " + unknown.err());
        CliRun two = CliRun.of("finetune", "res2net_small", "--model", "dy_resnet_small", "--out", out.toString());
        assertEquals(2, two.code());
        assertTrue(two.err().contains("two models given"), two.err());
        CliRun none = CliRun.of("finetune", "--out", out.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("convzoo finetune <id>"), none.err());
        CliRun help = CliRun.of("finetune", "--help");
        assertTrue(help.out().contains("Usage: convzoo finetune") && help.out().contains("[<id>]"), help.out());
    }

    @Test
    void versionPrintsTheProjectVersionOnEveryCommand() {
        for (String[] args : new String[][] {{"--version"}, {"serve", "--version"}, {"predict", "--version"}}) {
            CliRun r = CliRun.of(args);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("ConvZoo 0.1.0"), String.join(" ", args) + ": '" + r.out() + "'");
        }
    }

    @Test
    void serveHelpSaysTheBundledModelsAreTrainedAndIsWhole() {
        CliRun r = CliRun.of("serve", "--help");
        assertEquals(0, r.code(), r.err());
        String help = r.out().replaceAll("\\s+", " "); // picocli wraps at the terminal width
        assertTrue(help.contains("trained weights ship in the jar"), help);
        assertFalse(help.contains("untrained, with a warning"), help);
        for (String option : new String[] {"--enable-management", "--management-port", "--inference-token",
            "--management-token", "--token-file", "--cors-origin", "--host", "--untrained", "--max-body-bytes"}) {
            assertTrue(help.contains(option), option + " missing from serve --help");
        }
        assertTrue(help.contains("--management-port."), "the description's last sentence is whole: " + help);
        assertTrue(help.contains("bench"), "the bench subcommand is listed");
    }

    @Test
    void missingWeightsNameTheCliFlagNotTheJavaCall() {
        String hint = ConvZooCli.forCommandLine(io.convzoo.zoo.djl.PretrainedWeights.howToInstall("res2net50_26w_4s",
                "imagenet"));
        assertTrue(hint.contains("run it untrained with --untrained"), hint);
        assertFalse(hint.contains("optArgument"), hint);
        CliRun serve = CliRun.of("serve", "--model", "dy_resnet18", "--port", "0");
        assertEquals(2, serve.code());
        assertTrue(serve.err().contains("--untrained") && !serve.err().contains("optArgument"), serve.err());
    }

    private static JsonObject json(CliRun r) {
        assertEquals(0, r.code(), r.err());
        return JsonParser.parseString(r.out()).getAsJsonObject();
    }
}
