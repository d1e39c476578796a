package dev.supervisor.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LoginCodesTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void aCodeIsValidForTenMinutesWithItsOwnTokenOnly() {
    String code = LoginCodes.mint(TOKEN, T0);
    assertThat(code).doesNotContain(TOKEN).matches("[A-Za-z0-9_-]{54}");
    assertThat(LoginCodes.check(TOKEN, code, T0)).isPresent();
    assertThat(LoginCodes.check(TOKEN, code, T0.plusSeconds(599))).get().extracting(LoginCodes.Valid::expiresAt)
        .isEqualTo(T0.plusSeconds(600));
    assertThat(LoginCodes.check(TOKEN, code, T0.plusSeconds(600))).as("expired").isEmpty();
    assertThat(LoginCodes.check("another-token-0123456789abcdef", code, T0)).as("another server's").isEmpty();
  }

  @Test
  void codesAreRandomAndTamperingShows() {
    String a = LoginCodes.mint(TOKEN, T0);
    String b = LoginCodes.mint(TOKEN, T0);
    assertThat(a).isNotEqualTo(b);
    assertThat(LoginCodes.check(TOKEN, a, T0).orElseThrow().nonce()).isNotEqualTo(LoginCodes.check(TOKEN, b, T0).orElseThrow().nonce());
    char[] c = a.toCharArray();
    c[3] = c[3] == 'A' ? 'B' : 'A'; // inside the expiry: a longer life must not be forged
    assertThat(LoginCodes.check(TOKEN, new String(c), T0)).isEmpty();
    assertThat(LoginCodes.check(TOKEN, a.substring(1), T0)).isEmpty();
    assertThat(LoginCodes.check(TOKEN, "not base64 !", T0)).isEmpty();
    assertThat(LoginCodes.check(TOKEN, null, T0)).isEmpty();
    assertThat(LoginCodes.check(TOKEN, LoginCodes.mint(TOKEN, T0.plusSeconds(3600)), T0)).as("minted for later").isEmpty();
  }

  @Test
  void urlsNameAnAddressABrowserCanOpen() {
    assertThat(LoginCodes.hostPort(new InetSocketAddress("127.0.0.1", 8377))).isEqualTo("127.0.0.1:8377");
    assertThat(LoginCodes.hostPort(new InetSocketAddress("0.0.0.0", 8377))).isEqualTo("127.0.0.1:8377");
    assertThat(LoginCodes.hostPort(new InetSocketAddress("::1", 8377))).isEqualTo("[0:0:0:0:0:0:0:1]:8377");
    assertThat(LoginCodes.url("127.0.0.1:8377", TOKEN, T0)).startsWith("http://127.0.0.1:8377/login?once=");
  }
}
