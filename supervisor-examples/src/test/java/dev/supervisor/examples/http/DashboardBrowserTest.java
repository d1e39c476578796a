package dev.supervisor.examples.http;

import static dev.supervisor.testsupport.TestChildren.sleeps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.supervisor.Supervisor;
import dev.supervisor.testsupport.Pids;
import dev.supervisor.testsupport.ProcessLeakGuard;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser (Debian's headless Chromium, installed by .ci/run), logged in
 * through the one-time login URL: three RUNNING rows; a child killed with SIGKILL shows its new
 * restart count without a reload; the restart button (the session cookie, no token in the page)
 * restarts a child. A screenshot goes to target/dashboard.png.
 */
@ExtendWith(ProcessLeakGuard.class)
class DashboardBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir Path home;
  @TempDir Path profile;

  @Test
  void theDashboardShowsTheChildrenLiveAndItsButtonsWork() throws Exception {
    if (!Files.isExecutable(Chromium.BINARY)) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) { // CI must run the browser test, never skip it
        throw new AssertionError("CI=true but " + Chromium.BINARY + " is missing: .ci/run installs Debian's chromium package");
      }
      Assumptions.abort("skipped: no " + Chromium.BINARY + " (apt-get install chromium); under CI=true this is a failure");
    }
    try (Supervisor sup = Supervisor.builder(home).shutdownHook(false)
            .child(sleeps("validator").build()).child(sleeps("executor").build()).child(sleeps("scheduler").build()).build();
        HttpApi api = startApi(sup);
        Chromium chromium = Chromium.launch(profile)) {
      String base = "http://127.0.0.1:" + api.address().getPort();
      String token = Files.readString(home.resolve("http.token")).trim();
      Chromium.Page page = chromium.open(api.loginUrl());
      await().atMost(WAIT).ignoreExceptions().until(() -> page.eval(
          "document.querySelectorAll('#children tbody tr[data-state=RUNNING]').length").asInt() == 3);
      assertThat(page.eval("location.href").asText()).as("the code is gone from the address bar").isEqualTo(base + "/");
      assertThat(page.eval("document.cookie").asText()).as("the session cookie is HttpOnly").isEmpty();
      assertThat(page.eval("document.documentElement.outerHTML + JSON.stringify(localStorage)").asText()).doesNotContain(token);
      await().atMost(WAIT).until(() -> page.eval("document.getElementById('live').className").asText().equals("live on"));
      page.eval("window.notReloaded = true");

      // kill -9 a child from outside: its row shows the restart without a reload
      Pids.kill9(sup.status().child("executor").orElseThrow().pid().orElseThrow());
      await().atMost(WAIT).until(() -> page.eval(
          "document.querySelector('tr[data-name=executor] td.restarts').textContent").asText().equals("1"));
      assertThat(page.eval("window.notReloaded === true").asBoolean()).as("updated live, not reloaded").isTrue();

      // the restart button: a POST the session cookie authenticates (same origin)
      long before = sup.status().child("scheduler").orElseThrow().pid().orElseThrow();
      page.eval("document.querySelector('button[data-action=restart][data-name=scheduler]').click()");
      await().atMost(WAIT).until(() -> sup.status().child("scheduler").orElseThrow().pid().orElse(before) != before);
      await().atMost(WAIT).until(() -> page.eval("document.querySelector('tr[data-name=scheduler] td.pid').textContent").asText()
          .equals(Long.toString(sup.status().child("scheduler").orElseThrow().pid().orElse(-1))));
      assertThat(page.eval("document.getElementById('message').textContent").asText()).isEmpty();
      page.screenshot(Path.of("target", "dashboard.png"));
    }
    assertThat(Path.of("target", "dashboard.png")).exists();
  }

  private HttpApi startApi(Supervisor sup) throws Exception {
    sup.startAsync().awaitHealthy(WAIT);
    return HttpApi.start(sup, new InetSocketAddress("127.0.0.1", 0), home.resolve("http.token"));
  }
}
