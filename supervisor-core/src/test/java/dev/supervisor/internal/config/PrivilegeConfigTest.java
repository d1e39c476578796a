package dev.supervisor.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.ChildSpec;
import dev.supervisor.ConfigException;
import dev.supervisor.Enforcement;
import dev.supervisor.Permissions;
import dev.supervisor.Privileges;
import dev.supervisor.ResourceLimit;
import dev.supervisor.SupervisorConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The least-privilege fields of a child in a config file. */
class PrivilegeConfigTest {
  private static ChildSpec one(String fields) throws ConfigException {
    return SupervisorConfig.parse("{\"children\": [{\"name\": \"w\", \"command\": [\"sleep\", \"1\"], " + fields + "}]}", "c.json")
        .children().get(0);
  }

  private static void fails(String fields, String message) {
    assertThatThrownBy(() -> one(fields)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void everyFieldIsRead() throws ConfigException {
    Privileges p = one("\"user\": \"nobody\", \"group\": \"nogroup\", \"umask\": \"0027\", \"noNewPrivileges\": true,"
        + " \"capabilities\": [\"net_bind_service\"], \"limits\": {\"nofile\": 1024, \"nproc\": 256, \"core\": 0, \"as\": \"1G\","
        + " \"fsize\": \"100M\", \"cpu\": \"60s\"}, \"permissions\": {\"net\": true}, \"enforce\": \"best-effort\"").privileges();
    assertThat(p.user()).contains("nobody");
    assertThat(p.group()).contains("nogroup");
    assertThat(p.umask()).hasValue(0027);
    assertThat(p.noNewPrivileges()).isTrue();
    assertThat(p.capabilities()).hasValueSatisfying(c -> assertThat(c).containsExactly("NET_BIND_SERVICE"));
    assertThat(p.limits()).containsEntry(ResourceLimit.NOFILE, 1024L).containsEntry(ResourceLimit.NPROC, 256L)
        .containsEntry(ResourceLimit.CORE, 0L).containsEntry(ResourceLimit.AS, 1L << 30)
        .containsEntry(ResourceLimit.FSIZE, 100L << 20).containsEntry(ResourceLimit.CPU, 60L);
    assertThat(p.permissions()).hasValueSatisfying(perm -> assertThat(perm.network()).isTrue());
    assertThat(p.enforcement()).isEqualTo(Enforcement.BEST_EFFORT);
  }

  @Test
  void aChildWithoutThemHasNone() throws ConfigException {
    assertThat(one("\"stopGrace\": \"1s\"").privileges()).isEqualTo(Privileges.none());
  }

  @Test
  void permissionPathsResolveAgainstTheConfigDirectory() throws ConfigException {
    Permissions perm = one("\"permissions\": {\"read\": [\"conf\", \"/etc/hosts\"], \"write\": [], \"net\": true},"
        + " \"enforce\": \"best-effort\"").privileges().permissions().orElseThrow();
    assertThat(perm.read()).containsExactly(Path.of("").toAbsolutePath().resolve("conf"), Path.of("/etc/hosts"));
    assertThat(perm.write()).isEmpty();
    assertThat(perm.restrictsFilesystem()).isTrue();
  }

  @Test
  void badValuesNameTheField() {
    fails("\"umask\": 27", "c.json: children[0].umask: must be an octal string such as \"0027\", got number 27");
    fails("\"umask\": \"0999\"", "c.json: children[0].umask: must be an octal string such as \"0027\", got string \"0999\"");
    fails("\"limits\": {\"files\": 3}", "c.json: children[0].limits.files: unknown limit (allowed: nofile, nproc, core, as, fsize, cpu)");
    fails("\"limits\": {\"as\": \"lots\"}",
        "c.json: children[0].limits.as: as must be a number of bytes or a size like \"100M\" or \"1G\", got 'lots'");
    fails("\"capabilities\": \"NET_ADMIN\"",
        "c.json: children[0].capabilities: must be an array of capability names like [\"NET_BIND_SERVICE\"], got string \"NET_ADMIN\"");
    fails("\"permissions\": {\"writ\": []}", "c.json: children[0].permissions.writ: unknown field (allowed: read, write, exec, net)");
    fails("\"enforce\": \"maybe\"", "c.json: children[0].enforce: must be \"strict\" or \"best-effort\", got string \"maybe\"");
    fails("\"user\": \"no-such-user-here\"", "c.json: children[0].user: no such user 'no-such-user-here'"
        + " (getent passwd no-such-user-here finds nothing); create it or fix the name");
  }

  /** On JDK 17-21 permissions cannot be enforced (no Landlock without FFM): an error unless best effort; on 22+ they are accepted. */
  @Test
  void permissionsThisJdkCannotEnforceAreAnErrorUnlessBestEffort() throws ConfigException {
    if (Runtime.version().feature() >= 22) {
      assertThat(one("\"permissions\": {\"read\": [\"/etc\"]}").privileges().permissions()).as("JDK 22+: Landlock enforces them").isPresent();
      assertThat(one("\"permissions\": {\"read\": [\"/etc\"]}, \"enforce\": \"best-effort\"").privileges().permissions()).isPresent();
      return;
    }
    fails("\"permissions\": {\"read\": [\"/etc\"]}", "c.json: children[0].permissions: cannot be enforced here: Landlock needs the FFM"
        + " API of JDK 22+ (this is JDK " + Runtime.version().feature() + ") (or set \"enforce\": \"best-effort\" to start without it)");
    assertThat(one("\"permissions\": {\"read\": [\"/etc\"]}, \"enforce\": \"best-effort\"").privileges().permissions()).isPresent();
  }
}
