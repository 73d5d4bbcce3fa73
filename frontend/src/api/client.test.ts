import { fakeFetch } from "../test/fixtures";
import { api, ApiError, CSRF_HEADER, NETWORK_ERROR_DETAIL, unwrap } from "./client";

describe("api client", () => {
  it("echoes the CSRF cookie on writes only", async () => {
    document.cookie = "surgiai_csrf=abc.def; path=/";
    const { fetch, calls } = fakeFetch({
      "GET /api/v1/numbers": { status: 200, body: [] },
      "POST /api/v1/numbers/4/refresh": { status: 202, body: {} },
    });
    vi.stubGlobal("fetch", fetch);

    await unwrap(api.GET("/api/v1/numbers"));
    await unwrap(
      api.POST("/api/v1/numbers/{number_id}/refresh", { params: { path: { number_id: 4 } } }),
    );

    expect(calls[0]?.headers.get(CSRF_HEADER)).toBeNull();
    expect(calls[1]?.headers.get(CSRF_HEADER)).toBe("abc.def");
  });

  it("turns an error answer into the server's detail", async () => {
    vi.stubGlobal(
      "fetch",
      fakeFetch({
        "PATCH /api/v1/users/2": {
          status: 409,
          body: { error: "Conflict", detail: "This is the last owner." },
        },
      }).fetch,
    );

    const failure = unwrap(
      api.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: 2 } }, body: {} }),
    );

    await expect(failure).rejects.toEqual(new ApiError(409, "Conflict", "This is the last owner."));
  });

  it("says plainly when the server cannot be reached", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("Failed to fetch")));

    await expect(unwrap(api.GET("/api/v1/numbers"))).rejects.toMatchObject({
      status: 0,
      detail: NETWORK_ERROR_DETAIL,
    });
  });
});
