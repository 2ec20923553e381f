import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { authenticate, bearerToken, createVerifier } from "../../functions/_shared/auth.ts";
import { HttpError } from "../../functions/_shared/errors.ts";
import { accessToken, apiKey, LOCAL_JWT_SECRET } from "../../scripts/lib/tokens.ts";

const user = { id: "7f9c0c4e-1f7e-4a57-9d1e-2b8b8e2b0c11", email: "ana@example.test" };
const hs = createVerifier({ secret: LOCAL_JWT_SECRET });

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  expect((error as HttpError).status).toBe(401);
  return error as HttpError;
}

describe("HS256 tokens (the legacy JWT secret)", () => {
  it("accepts a user's access token with Supabase Auth's claims", async () => {
    const claims = await hs(await accessToken(user, { aal: "aal2" }));
    expect(claims).toMatchObject({
      sub: user.id,
      role: "authenticated",
      aal: "aal2",
      email: user.email,
      aud: "authenticated",
    });
    expect(claims.session_id).toBeTruthy();
  });

  it("accepts the anon and service-role keys", async () => {
    expect((await hs(await apiKey("anon"))).role).toBe("anon");
    expect((await hs(await apiKey("service_role"))).role).toBe("service_role");
  });

  it("refuses an expired token", async () => {
    const error = await rejection(hs(await accessToken(user, { expiresIn: -60 })));
    expect(error.message).toBe("Cannot verify the token: it has expired");
  });

  it("refuses a token signed with another secret", async () => {
    await rejection(hs(await accessToken(user, { secret: "another-secret-that-is-at-least-32-chars!" })));
  });

  it("refuses a tampered payload", async () => {
    const [h, , s] = (await accessToken(user)).split(".");
    const forged = Buffer.from(JSON.stringify({ sub: user.id, role: "service_role", exp: 4102444800 })).toString(
      "base64url",
    );
    await rejection(hs(`${h}.${forged}.${s}`));
  });

  it("refuses alg none", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ role: "service_role", exp: 4102444800 })).toString("base64url");
    const error = await rejection(hs(`${header}.${payload}.`));
    expect(error.message).toMatch(/algorithm none is not accepted/);
  });

  it("refuses something that is not a JWT", async () => {
    expect((await rejection(hs("hello"))).message).toBe("Cannot verify the token: it is not a JWT");
  });

  it("refuses a token without a known role, or an authenticated one without a subject", async () => {
    const key = new TextEncoder().encode(LOCAL_JWT_SECRET);
    const sign = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(key);
    await rejection(hs(await sign({ role: "supabase_admin" })));
    await rejection(hs(await sign({ role: "authenticated" })));
    await rejection(hs(await sign({ sub: user.id })));
  });

  it("refuses a token without an expiry", async () => {
    const key = new TextEncoder().encode(LOCAL_JWT_SECRET);
    await rejection(hs(await new SignJWT({ role: "anon" }).setProtectedHeader({ alg: "HS256" }).sign(key)));
  });
});

describe("asymmetric tokens against the JWKS Supabase Auth publishes", () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let requests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    privateKey = pair.privateKey as CryptoKey;
    otherKey = (await generateKeyPair("ES256")).privateKey as CryptoKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: "key-1", alg: "ES256", use: "sig" };
    server = createServer((req, res) => {
      requests++;
      if (req.url !== "/auth/v1/.well-known/jwks.json") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    jwksUrl = `http://127.0.0.1:${
      typeof address === "object" && address ? address.port : 0
    }/auth/v1/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const sign = (key: CryptoKey, kid = "key-1", exp = "1h") =>
    new SignJWT({ sub: user.id, role: "authenticated", aal: "aal1" }).setProtectedHeader({ alg: "ES256", kid })
      .setExpirationTime(exp).sign(key);

  it("accepts a token signed by a key in the JWKS, fetching the set once", async () => {
    const verify = createVerifier({ jwksUrl });
    expect((await verify(await sign(privateKey))).sub).toBe(user.id);
    await verify(await sign(privateKey));
    expect(requests).toBe(1);
  });

  it("refuses a token signed by a key that is not in the JWKS", async () => {
    await rejection(createVerifier({ jwksUrl })(await sign(otherKey)));
  });

  it("refuses an expired asymmetric token", async () => {
    const expired = await new SignJWT({ sub: user.id, role: "authenticated" })
      .setProtectedHeader({ alg: "ES256", kid: "key-1" }).setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(
        privateKey,
      );
    expect((await rejection(createVerifier({ jwksUrl })(expired))).message).toMatch(/expired/);
  });

  it("refuses HS256 when no secret is configured, so a public key cannot be used as an HMAC secret", async () => {
    await rejection(createVerifier({ jwksUrl })(await accessToken(user)));
  });
});

describe("authenticate", () => {
  it("reads the bearer token", () => {
    expect(bearerToken(new Request("http://x", { headers: { authorization: "Bearer abc.def.ghi" } }))).toBe(
      "abc.def.ghi",
    );
    expect(bearerToken(new Request("http://x", { headers: { authorization: "Basic abc" } }))).toBeNull();
  });

  it("answers 401 when there is no token", async () => {
    const error = await rejection(authenticate(new Request("http://x"), hs));
    expect(error.message).toMatch(/Authorization: Bearer/);
  });
});
