package io.convzoo.serving.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convzoo.serving.api.GatedRunner;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.http.HttpServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** serve's access options: loopback by default, tokens from flags or a file, CORS, the management listener. */
class ServeAccessOptionsTest {

    private static HttpServerOptions options(String... args) throws Exception {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs(args);
        try (InferenceService service = InferenceService.builder().add(GatedRunner.model("m"), GatedRunner::new).build()) {
            return cmd.httpOptions(service);
        }
    }

    @Test
    void defaultsAreLoopbackNoTokensNoCorsNoManagement() throws Exception {
        HttpServerOptions o = options();
        assertEquals("127.0.0.1", o.address().getHostString());
        assertEquals(8080, o.address().getPort());
        assertNull(o.inferenceToken());
        assertNull(o.managementToken());
        assertEquals(List.of(), o.corsOrigins());
        assertNull(o.managementAddress());
    }

    @Test
    void flagsAndTokenFile() throws Exception {
        HttpServerOptions o = options("--host", "0.0.0.0", "--inference-token", "abc", "--cors-origin", "http://a.example",
                "--cors-origin", "http://b.example", "--enable-management", "--management-port", "9001",
                "--management-token", "xyz");
        assertEquals("0.0.0.0", o.address().getHostString());
        assertEquals("abc", o.inferenceToken());
        assertEquals("xyz", o.managementToken());
        assertEquals(List.of("http://a.example", "http://b.example"), o.corsOrigins());
        assertEquals(9001, o.managementAddress().getPort());

        Path file = Files.createTempFile("convzoo-tokens-", ".properties");
        Files.writeString(file, "inference = from-file-i\nmanagement=from-file-m\n");
        HttpServerOptions fromFile = options("--token-file", file.toString(), "--management-token", "flag-wins");
        assertEquals("from-file-i", fromFile.inferenceToken());
        assertEquals("flag-wins", fromFile.managementToken());

        Files.writeString(file, "inferense=typo\n");
        CommandLine.ParameterException typo = assertThrows(CommandLine.ParameterException.class,
                () -> options("--token-file", file.toString()));
        assertTrue(typo.getMessage().contains("unknown key 'inferense'"), typo.getMessage());
        Files.delete(file);
        CommandLine.ParameterException missing = assertThrows(CommandLine.ParameterException.class,
                () -> options("--token-file", file.toString()));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
    }
}
