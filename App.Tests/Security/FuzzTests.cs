using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dashboard.App.Tests.Infrastructure;
using Dashboard.App.Tests.Rollouts;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Data.Sqlite;

namespace Dashboard.App.Tests.Security;

/// <summary>
/// A bounded fuzz over every mapped endpoint (fixed seed, a few thousand requests): malformed,
/// oversized and wrong-type paths, queries and bodies, with credentials that get past
/// authorization. No answer may be a 5xx, and no rejected request may change a stored row.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class FuzzTests : IAsyncLifetime
{
    private const int Seed = 1313;
    private const int Requests = 2500;
    private static readonly TimeSpan TimeCap = TimeSpan.FromSeconds(120);

    private static readonly string[] Values =
    [
        "", "x", "0", "-1", "1.5", "99999999999999999999", "true", "null", "[]", "{}", "%00", "\u0000", "../../etc/passwd",
        "' OR 1=1 --", "<script>alert(1)</script>", "💥", "\uFFFF", new string('a', 5000), "00000000-0000-0000-0000-000000000000",
        "not-a-guid", "2026-13-45T99:99:99Z", "NaN", "-0", "1e309", " ", "%", "a/b", "default",
    ];

    // HttpClient refuses to send anything else in a header, so header values come from these.
    private static readonly string[] HeaderValues = [.. Values.Where(v => v.All(c => c is >= ' ' and <= '~'))];

    private static readonly string[] QueryKeys =
        ["limit", "page", "per_page", "status", "days", "index", "wait", "source", "component", "host", "token", "before", "namespace", "type", "id", "prefix", "include", "remove_associated_instances", "returnUrl", "documentName"];

    private static readonly string[] Bodies =
    [
        "", "{}", "[]", "null", "0", "\"text\"", "not json", "{\"a\":", "{\"a\":1}}", "{'single':'quotes'}",
        "{\"name\":123,\"scopes\":\"read\",\"quantity\":\"many\",\"hosts\":{\"a\":1},\"status\":[],\"component\":null,\"version\":true,\"expiresAt\":\"soon\"}",
        "{\"batches\":[{\"quantity\":-1,\"plan\":7,\"facility\":[],\"hostname\":null}]}",
        "{\"batches\":[{\"quantity\":100000000,\"plan\":\"c1.small.x86\",\"facility\":\"any\",\"hostname\":\"h{{index}}\"}]}",
        "{\"Job\":{\"ID\":\"\",\"TaskGroups\":\"none\"}}", "{\"Job\":{\"ID\":\"x\",\"TaskGroups\":[{\"Count\":-5,\"Update\":{\"Canary\":\"x\"}}]}}",
        "{\"component\":\"\",\"version\":\"\",\"hosts\":[]}", "{\"component\":\"c\",\"version\":\"v\",\"hosts\":[1,2,3],\"status\":\"maybe\"}",
        "{\"identifier\":\"\",\"status\":\"Sometimes\",\"start\":\"yesterday\",\"end\":-1}",
        "[{\"name\":\"x\",\"value\":{\"deep\":[1]}}]", "[{\"name\":null}]", "{\"status\":\"accepted\"}", "{\"status\":42}",
        "{\"name\":\"\",\"url\":\"file:///etc/passwd\",\"secret\":1}", "{\"device_types_compatible\":5,\"name\":[]}",
        "{\"artifact_name\":\"\",\"name\":\"\",\"devices\":\"all\"}", "{\"filters\":[{\"scope\":1,\"attribute\":{},\"type\":\"$regex\",\"value\":\"(a+)+$\"}]}",
        "{\"Healthy\":\"yes\",\"HealthyAllocationIDs\":{},\"UnhealthyAllocationIDs\":7}",
        "username=admin&password=x", "--x\r\nContent-Disposition: form-data; name=\"artifact\"\r\n\r\nnot an artifact\r\n--x--\r\n",
    ];

    private static readonly string?[] ContentTypes =
        ["application/json", "application/json", "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null, "application/json; charset=utf-999", "application/xml"];

    private readonly TempDirectory _data = new();
    private DashboardApp _app = default!;
    private string _deviceToken = "";
    private string _adminCookie = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _app = new DashboardApp(_data.Path).Start();
        using var device = new MenderTestDevice(_app.BaseAddress);
        await MenderDeviceApiTests.AdmitAsync(_app, device);
        _deviceToken = device.Token!;
        var jar = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress };
        await SignIn.AsAdminAsync(browser, Ct);
        _adminCookie = jar.GetCookieHeader(_app.BaseAddress);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task MalformedRequests_NeverAnswer5xx_NorChangeStoredRows_WhenRejected()
    {
        var random = new Random(Seed);
        var endpoints = EndpointCatalog.All(_app).Where(e => !e.Pattern.StartsWith("/_blazor", StringComparison.Ordinal)).ToList();
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = _app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        await using var db = new SqliteConnection($"Data Source={Path.Combine(_app.DataDirectory, "dashboard.db")};Mode=ReadOnly;Pooling=false");
        await db.OpenAsync(Ct);
        var fingerprint = await FingerprintAsync(db);
        var version = await DataVersionAsync(db);

        var failures = new List<string>();
        var covered = new HashSet<string>();
        var clock = Stopwatch.StartNew();
        var sent = 0;
        for (; sent < Requests && clock.Elapsed < TimeCap; sent++)
        {
            // Round-robin first, so every endpoint is covered early; then at random.
            var endpoint = sent < endpoints.Count ? endpoints[sent] : endpoints[random.Next(endpoints.Count)];
            using var request = Build(random, endpoint);
            var described = $"{request.Method} {request.RequestUri} [{request.Content?.Headers.ContentType}]";
            int status;
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
                status = (int)response.StatusCode;
            }
            catch (HttpRequestException ex)
            {
                // Kestrel may answer an oversized body early and close the connection while it is still being sent; that is not a 5xx.
                if (request.Content?.Headers.ContentLength is not > 1024 * 1024) failures.Add($"{described}: connection failed ({ex.Message})");
                continue;
            }
            covered.Add(endpoint.Key);
            if (status >= 500) failures.Add($"{described}: {status}");

            var nowVersion = await DataVersionAsync(db);
            if (nowVersion == version) continue;
            var now = await FingerprintAsync(db);
            if (status >= 400 && now != fingerprint) failures.Add($"{described}: answered {status} but stored rows changed");
            (fingerprint, version) = (now, nowVersion);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} fuzzed requests failed:\n" + string.Join("\n", failures.Take(60)));
        Assert.True(covered.Count == endpoints.Count, "Not every endpoint was fuzzed: " + string.Join(", ", endpoints.Select(e => e.Key).Except(covered)));
        Assert.DoesNotContain(_app.Logs.Entries, e => e.Exception is not null and not OperationCanceledException);
    }

    private HttpRequestMessage Build(Random random, MappedEndpoint endpoint)
    {
        string Pick(IReadOnlyList<string> values) => values[random.Next(values.Count)];
        var path = endpoint.PathWith(_ => random.Next(4) == 0 ? "00000000-0000-0000-0000-000000000001" : Pick(Values));
        var query = string.Join('&', Enumerable.Range(0, random.Next(4)).Select(_ => $"{Pick(QueryKeys)}={Uri.EscapeDataString(Pick(Values))}"));
        var method = endpoint.Method == "*" ? Pick(["GET", "POST", "PUT", "DELETE"]) : endpoint.Method;
        var request = new HttpRequestMessage(new HttpMethod(method), path + (query.Length > 0 ? "?" + query : ""));

        // Credentials that get past authorization, so the fuzz reaches the validation behind it.
        switch (random.Next(10))
        {
            case 0: break;
            case 1: request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Pick(HeaderValues)); break;
            default:
                if (endpoint.Pattern.StartsWith("/api/devices", StringComparison.Ordinal)) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _deviceToken);
                else if (endpoint.Endpoint.Metadata.Any(m => m.GetType().Name == "ComponentTypeMetadata") || endpoint.Pattern.StartsWith("/hangfire", StringComparison.Ordinal))
                    request.Headers.TryAddWithoutValidation("Cookie", _adminCookie);
                else
                {
                    var header = Pick(["Authorization", "X-Auth-Token", "X-Nomad-Token"]);
                    request.Headers.TryAddWithoutValidation(header, header == "Authorization" ? "Bearer " + DashboardApp.BootstrapToken : DashboardApp.BootstrapToken);
                }
                break;
        }
        if (random.Next(8) == 0) request.Headers.TryAddWithoutValidation("X-MEN-Signature", Pick(HeaderValues));

        if (method is not ("GET" or "DELETE") || random.Next(6) == 0)
        {
            var body = random.Next(12) switch
            {
                0 => RandomNumberGenerator.GetBytes(random.Next(1, 4096)),
                1 => Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
                2 => Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}"),
                _ => Encoding.UTF8.GetBytes(Pick(Bodies)),
            };
            request.Content = new ByteArrayContent(body);
            if (ContentTypes[random.Next(ContentTypes.Length)] is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        return request;
    }

    private static async Task<long> DataVersionAsync(SqliteConnection db)
    {
        await using var command = db.CreateCommand();
        command.CommandText = "PRAGMA data_version";
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>
    /// A hash of every stored row (a device's last check-in, which any device call moves, left out, and the
    /// audit log, whose job is to write down refused requests too).
    /// </summary>
    private static async Task<string> FingerprintAsync(SqliteConnection db)
    {
        var tables = new List<string>();
        await using (var list = db.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'AuditEntries' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct)) tables.Add(reader.GetString(0));
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var table in tables)
        {
            await using var select = db.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\" ORDER BY rowid";
            await using var reader = await select.ExecuteReaderAsync(Ct);
            hash.AppendData(Encoding.UTF8.GetBytes(table));
            while (await reader.ReadAsync(Ct))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    if (reader.GetName(i) is "CheckInAt") continue;
                    hash.AppendData(Encoding.UTF8.GetBytes((reader.IsDBNull(i) ? "\u0001" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)) + "\u0000"));
                }
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
