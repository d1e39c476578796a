package dev.supervisor.examples.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.supervisor.examples.launcher.AgentdHome;
import dev.supervisor.examples.tools.ApprovalKeys;
import dev.supervisor.examples.tools.Approvals;
import dev.supervisor.examples.tools.CommandPath;
import dev.supervisor.examples.tools.Intent;
import dev.supervisor.examples.tools.Jsons;
import dev.supervisor.examples.tools.Policy;
import dev.supervisor.ipc.ErrorCode;
import dev.supervisor.ipc.Peer;
import dev.supervisor.ipc.RpcException;
import dev.supervisor.testing.ManualClock;
import dev.supervisor.testsupport.ProcessLeakGuard;
import dev.supervisor.testsupport.UnmarkedChildren;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The executor's own checks on an exec: its resolution of the binary, and its policy, must agree with the approval. */
@ExtendWith(ProcessLeakGuard.class)
@UnmarkedChildren("the executor runs commands with a cleared environment (only the policy's PATH and LANG); they are"
    + " this JVM's children, so the guard tracks them and their groups all the same")
class ExecutorMainTest {
  private static final Peer PEER = new Peer(OptionalLong.of(1), 0, 0);
  @TempDir Path dir;
  private AgentdHome home;
  private Approvals.Signer validator;
  private ExecutorMain executor;

  @BeforeEach
  void setUp() throws Exception {
    home = new AgentdHome(dir.resolve("home"));
    Files.createDirectories(home.workspace());
    Files.writeString(home.workspace().resolve("a.txt"), "a");
    ApprovalKeys.prepare(home, l -> { });
    Policy.installDefault(home.policy(), l -> { });
    ManualClock clock = ManualClock.start();
    validator = Approvals.signer(ApprovalKeys.loadPrivate(home.signingKey()), clock, Approvals.TTL);
    executor = new ExecutorMain(home, Approvals.verifier(ApprovalKeys.loadPublic(home.verifyKey()), clock),
        Policy.load(home.policy(), home.workspace()));
  }

  private ObjectNode execute(Intent intent, Optional<Path> executable) throws RpcException {
    ObjectNode req = Jsons.MAPPER.createObjectNode().put("type", "execute");
    req.set("intent", intent.toJson());
    req.set("approval", validator.issue(intent.resolvedAgainst(home.workspace()), executable));
    return executor.handle(req, PEER);
  }

  @Test
  void anApprovedLsRunsInTheWorkspace() throws Exception {
    Optional<Path> ls = CommandPath.parse(CommandPath.DEFAULT).resolve("ls");
    assertThat(execute(Intent.exec(List.of("ls", "-1")), ls).path("output").asText()).isEqualTo("a.txt\n");
  }

  @Test
  void anApprovalNamingAnotherBinaryIsRefused() {
    Path ls = CommandPath.parse(CommandPath.DEFAULT).resolve("ls").orElseThrow();
    assertThatThrownBy(() -> execute(Intent.exec(List.of("ls")), Optional.of(Path.of("/tmp/elsewhere/ls"))))
        .isInstanceOf(RpcException.class).hasMessage("the approval names /tmp/elsewhere/ls but the policy's path "
            + "/usr/local/bin:/usr/bin:/bin gives " + ls + " for ls; refused")
        .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(ErrorCode.FORBIDDEN));
    assertThatThrownBy(() -> execute(Intent.exec(List.of("ls")), Optional.empty())).hasMessageStartingWith("the approval names no executable");
  }

  @Test
  void anExecItsOwnPolicyDeniesIsRefusedEvenWithAGenuineApproval() {
    Path date = CommandPath.parse(CommandPath.DEFAULT).resolve("date").orElseThrow();
    String key = home.signingKey().toString();
    assertThatThrownBy(() -> execute(Intent.exec(List.of("date", "-f", key)), Optional.of(date))).isInstanceOf(RpcException.class)
        .hasMessageStartingWith("the executor's policy does not allow exec date -f " + key + " (no rule allows")
        .hasMessageEndingWith("; if policy.json changed, restart the executor too");
  }
}
