package dev.supervisor.examples.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.ChildSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each child is told of the one key half it needs, and of nothing else. */
class TrioKeysTest {
  private final AgentdHome home = new AgentdHome(Path.of("/srv/agentd"));
  /** What the launcher's own environment might hold: none of it may reach a child but PATH, LANG, TZ. */
  private final Map<String, String> launcherEnv = Map.of("PATH", "/usr/bin:/bin", "AGENTD_SIGNING_KEY", "/elsewhere/key",
      "AGENTD_KEY_FILE", "/srv/agentd/agentd.key");

  private Map<String, String> env(String child) {
    ChildSpec spec = Trio.specs(home, Map.of()).stream().filter(c -> c.name().equals(child)).findFirst().orElseThrow();
    return spec.effectiveEnv(launcherEnv);
  }

  @Test
  void onlyTheValidatorIsToldOfThePrivateKeyAndTheExecutorOnlyOfThePublicOne() {
    assertThat(env("validator")).containsEntry("AGENTD_SIGNING_KEY", "/srv/agentd/keys/validator/approval.key")
        .containsEntry("AGENTD_APPROVAL_TTL", "30000ms").doesNotContainKey("AGENTD_VERIFY_KEY");
    assertThat(env("executor")).containsEntry("AGENTD_VERIFY_KEY", "/srv/agentd/keys/public/approval.pub")
        .doesNotContainKeys("AGENTD_SIGNING_KEY", "AGENTD_KEY_FILE", "AGENTD_APPROVAL_TTL");
    assertThat(env("scheduler")).doesNotContainKeys("AGENTD_SIGNING_KEY", "AGENTD_VERIFY_KEY", "AGENTD_KEY_FILE");
    for (String child : List.of("executor", "scheduler")) {
      assertThat(env(child).values()).as(child).noneMatch(v -> v.contains("keys/validator") || v.contains("agentd.key"));
    }
    for (ChildSpec c : Trio.specs(home, Map.of())) {
      assertThat(String.join(" ", c.argv())).as(c.name()).doesNotContain("keys/");
    }
  }

  @Test
  void anApprovalLifetimeAboveTheMaximumStopsTheLauncher() {
    assertThat(Trio.specs(home, Map.of("AGENTD_APPROVAL_TTL", "2s")).get(0).env()).containsEntry("AGENTD_APPROVAL_TTL", "2000ms");
    assertThatThrownBy(() -> Trio.specs(home, Map.of("AGENTD_APPROVAL_TTL", "5m"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("AGENTD_APPROVAL_TTL=5m is longer than the 30s maximum: approvals must be short-lived; use at most 30s, or unset it"
            + " for 30s");
  }
}
