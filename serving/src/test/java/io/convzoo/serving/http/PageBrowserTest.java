package io.convzoo.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.zoo.djl.PretrainedWeights;
import io.convzoo.serving.api.ServingConfig;
import io.convzoo.serving.api.TestImages;
import io.convzoo.zoo.Datasets;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page at {@code GET /} in a real headless Chromium (Debian's chromium + chromium-driver):
 * choose a model, upload an image, click a bundled sample, drop an image, read the bars and the
 * top-1, compare them with the API's answer. Saves screenshots to /tmp/serving-page*.png. Skipped when Chromium or chromedriver is not installed.
 */
class PageBrowserTest {

    static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");

    static ConvZooHttpServer server;
    static ChromeDriver driver;
    static Path profile;

    @BeforeAll
    static void startServerAndBrowser() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "browser test skipped: needs Debian's chromium and chromium-driver "
                        + "(apt-get install -y chromium chromium-driver)");
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        System.setProperty("SE_OFFLINE", "true"); // never let Selenium Manager download a browser or driver
        System.setProperty("se.offline", "true");

        InferenceService service = InferenceService.builder().config(new ServingConfig(1, 4, 2, 32, 60_000))
                .addZooModel("pyconvresnet_small", false).addZooModel("res2net_small", false).build();
        server = ConvZooHttpServer.start(service, new InetSocketAddress("127.0.0.1", 0),
                ConvZooHttpServer.DEFAULT_MAX_BODY_BYTES, 16);
        profile = Files.createTempDirectory("convzoo-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1100,900");
        ChromeDriverService driverService = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(driverService, options);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
        }
        if (profile != null) {
            deleteTree(profile.toFile());
        }
    }

    @Test
    void uploadAnImageAndReadTheTopFiveBars() throws Exception {
        Path image = Files.createTempFile("convzoo-upload-", ".png");
        Path notImage = Files.createTempFile("convzoo-upload-", ".txt");
        byte[] png = TestImages.png(112, 4);
        Files.write(image, png);
        Files.writeString(notImage, "not an image at all", StandardCharsets.UTF_8);
        try {
            driver.manage().window().setSize(new Dimension(1100, 760));
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
            driver.get("http://127.0.0.1:" + server.port() + "/");
            wait.until(d -> new Select(d.findElement(By.id("model"))).getOptions().size() == 2);
            Select model = new Select(driver.findElement(By.id("model")));
            model.selectByValue("res2net_small");
            boolean untrained = !PretrainedWeights.isInstalled("res2net_small", "fashion-mnist");
            assertEquals(untrained, driver.findElement(By.id("model-warning")).isDisplayed(),
                    "untrained models, and only those, carry a warning");

            driver.findElement(By.id("file")).sendKeys(image.toAbsolutePath().toString());
            wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#bars .row"), 5));
            List<WebElement> rows = driver.findElements(By.cssSelector("#bars .row"));

            JsonArray api = Http.json(new Http(server.port()).post("/predictions/res2net_small?topk=5", png, "image/png"))
                    .getAsJsonArray();
            double previous = 1.0;
            for (int i = 0; i < 5; i++) {
                WebElement row = rows.get(i);
                String name = row.getAttribute("data-class-name");
                double probability = Double.parseDouble(row.getAttribute("data-probability"));
                assertTrue(Datasets.FASHION_MNIST_SPEC.classNames().contains(name), name);
                assertEquals(name, row.findElement(By.className("name")).getText());
                assertTrue(probability <= previous, "bars sorted by probability");
                previous = probability;
                assertEquals(api.get(i).getAsJsonObject().get("className").getAsString(), name);
                assertEquals(api.get(i).getAsJsonObject().get("probability").getAsDouble(), probability, 1e-6);
                String width = row.findElement(By.className("fill")).getAttribute("style");
                assertTrue(width.contains("width"), width);
                assertEquals(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * probability),
                        row.findElement(By.className("pct")).getText());
            }
            assertTrue(driver.findElement(By.id("status")).getText().contains("res2net_small"));
            Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, Paths.get("/tmp/serving-page.png"), StandardCopyOption.REPLACE_EXISTING);

            // A file that is not an image shows the server's 400 message instead of bars.
            driver.findElement(By.id("file")).sendKeys(notImage.toAbsolutePath().toString());
            wait.until(d -> d.findElement(By.id("status")).getText().startsWith("400"));
            assertTrue(driver.findElements(By.cssSelector("#bars .row")).isEmpty());
            assertFalse(driver.findElement(By.id("status")).getText().isBlank());
        } finally {
            Files.deleteIfExists(image);
            Files.deleteIfExists(notImage);
        }
    }

    /**
     * The bundled samples, the model's accuracy and classes, a sample clicked and a sample image
     * dropped as a file on the drop zone (a real drop event carrying a File): the top-1 shown is
     * the API's top-1 for those bytes, and with the shipped weights the sample's own class.
     */
    @Test
    void clickASampleAndDropAnImageAndReadTheTopOne() throws Exception {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
        driver.get("http://127.0.0.1:" + server.port() + "/");
        wait.until(d -> new Select(d.findElement(By.id("model"))).getOptions().size() == 2);
        new Select(driver.findElement(By.id("model"))).selectByValue("res2net_small");
        wait.until(d -> d.findElements(By.cssSelector("#classes .chip")).size() == 10
                && d.findElements(By.cssSelector("#samples .sample")).size() == SAMPLES.size());
        assertEquals(Datasets.FASHION_MNIST_SPEC.classNames(), driver.findElements(By.cssSelector("#classes .chip"))
                .stream().map(WebElement::getText).toList());
        boolean trained = PretrainedWeights.isInstalled("res2net_small", "fashion-mnist");
        if (trained) {
            assertEquals("Test accuracy 94.24% (fashion-mnist)", driver.findElement(By.id("accuracy")).getText());
        }
        Http http = new Http(server.port());

        // Click: the trouser sample.
        String trouser = "00002-trouser.png";
        driver.findElement(By.cssSelector(".sample[data-file='" + trouser + "']")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().contains(trouser));
        String apiTop = topOne(http, Files.readAllBytes(SAMPLE_DIR.resolve(trouser)));
        assertEquals(apiTop, driver.findElement(By.id("top1")).getText());
        if (trained) {
            assertEquals("Trouser", apiTop);
            assertEquals("Correct: the sample is a Trouser", driver.findElement(By.id("verdict")).getText());
        }
        assertEquals(List.of(apiTop), driver.findElements(By.cssSelector("#classes .chip.hit")).stream()
                .map(WebElement::getText).toList());

        // Drop: the ankle-boot sample's bytes as a file, through the drop zone's drop event.
        String boot = "00000-ankle-boot.png";
        byte[] bootPng = Files.readAllBytes(SAMPLE_DIR.resolve(boot));
        driver.executeScript("const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));"
                + "const dt = new DataTransfer();"
                + "dt.items.add(new File([bytes], 'dropped-boot.png', {type: 'image/png'}));"
                + "const zone = document.getElementById('drop');"
                + "zone.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true, cancelable: true}));"
                + "zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));"
                + "zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));",
                Base64.getEncoder().encodeToString(bootPng));
        wait.until(d -> d.findElement(By.id("status")).getText().contains("dropped-boot.png"));
        String apiBoot = topOne(http, bootPng);
        assertEquals(apiBoot, driver.findElement(By.id("top1")).getText());
        assertEquals(apiBoot, driver.findElements(By.cssSelector("#bars .row")).get(0).getAttribute("data-class-name"));
        if (trained) {
            assertEquals("Ankle boot", apiBoot);
        }
        assertFalse(driver.findElement(By.id("drop")).getAttribute("class").contains("over"), "the highlight ends");
        Path shot = driver.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, Paths.get("/tmp/serving-page-samples.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    static final Path SAMPLE_DIR = Paths.get("").toAbsolutePath().getParent().resolve("samples/fashion-mnist");
    static final List<String> SAMPLES = listSamples();

    private static List<String> listSamples() {
        try (var files = Files.list(SAMPLE_DIR)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String topOne(Http http, byte[] png) throws Exception {
        return Http.json(http.post("/predictions/res2net_small?topk=1", png, "image/png")).getAsJsonArray().get(0)
                .getAsJsonObject().get("className").getAsString();
    }

    private static void deleteTree(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (File c : children) {
                deleteTree(c);
            }
        }
        f.delete();
    }
}
