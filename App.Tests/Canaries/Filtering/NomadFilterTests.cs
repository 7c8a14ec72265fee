using System.Text.Json.Serialization;
using Dashboard.Data.Canaries.Filtering;

namespace Dashboard.App.Tests.Canaries.Filtering;

/// <summary>
/// Nomad's filter language (go-bexpr) against C# objects. Where go-bexpr's own test suite gives an
/// exact message for malformed input, the same message is expected here.
/// </summary>
public sealed class NomadFilterTests
{
    public enum DeploymentState { Running, Successful, Failed }

    public sealed class GroupState
    {
        public bool Promoted { get; init; }
        public bool AutoPromote { get; init; }
        public int DesiredCanaries { get; init; }
        public int HealthyAllocs { get; init; }
        public List<string>? PlacedCanaries { get; init; }
    }

    public sealed class Inner
    {
        public string Name { get; init; } = "";
    }

    public sealed class Deployment
    {
        public string ID { get; init; } = "d-1";
        public string JobID { get; init; } = "web-app";
        public string Namespace { get; init; } = "default";
        public string Status { get; init; } = "running";
        public string? StatusDescription { get; init; }
        public ulong JobVersion { get; init; } = 3;
        public long CreateIndex { get; init; } = 42;
        public int Priority { get; init; } = 50;
        public sbyte Small { get; init; } = -5;
        public double Weight { get; init; } = 1.5;
        public float Ratio { get; init; } = 0.25f;
        public decimal Price { get; init; } = 9.99m;
        public bool IsMultiregion { get; init; }
        public Dictionary<string, GroupState>? TaskGroups { get; init; }
        public Dictionary<string, string>? Meta { get; init; }
        public List<string>? Tags { get; init; }
        public int[] Numbers { get; init; } = [1, 2, 3];
        public List<object?> Mixed { get; init; } = ["a", 7, true, null];
        public DeploymentState State { get; init; } = DeploymentState.Running;
        public Guid Uid { get; init; } = Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301");
        public DateTime Created { get; init; } = new(2026, 11, 24, 0, 0, 0, DateTimeKind.Utc);
        public int? Optional { get; init; }
        public Inner? Child { get; init; }
        public char Grade { get; init; } = 'A';

        [JsonPropertyName("Renamed")]
        public string Original { get; init; } = "renamed-value";

        [JsonIgnore]
        public string Hidden { get; init; } = "hidden";
    }

    private static readonly Deployment Sample = new()
    {
        StatusDescription = "Deployment is running\nsecond line",
        TaskGroups = new()
        {
            ["web"] = new GroupState { Promoted = true, DesiredCanaries = 2, HealthyAllocs = 2, PlacedCanaries = ["a-1", "a-2"] },
            ["cache"] = new GroupState { Promoted = false, AutoPromote = true, DesiredCanaries = 0 },
        },
        Meta = new() { ["owner"] = "team-a", ["team name"] = "platform", ["empty"] = "" },
        Tags = ["blue", "canary"],
        Child = new Inner { Name = "kid" },
    };

    private static bool Eval(string expression, object? root = null) => NomadFilter.Parse(expression).Matches(root ?? Sample);

    private static string SyntaxError(string expression) => Assert.Throws<FilterSyntaxException>(() => NomadFilter.Parse(expression)).Message;

    private static string EvaluationError(string expression, object? root = null) =>
        Assert.Throws<FilterEvaluationException>(() => NomadFilter.Parse(expression).Matches(root ?? Sample)).Message;

    [Theory]
    // == and != on every primitive kind, with go-bexpr's coercion of the written value to the field's type
    [InlineData("Status == \"running\"", true)]
    [InlineData("Status == running", true)]
    [InlineData("Status == `running`", true)]
    [InlineData("Status == \"Running\"", false)]
    [InlineData("Status != \"running\"", false)]
    [InlineData("Status != \"failed\"", true)]
    [InlineData("Priority == 50", true)]
    [InlineData("Priority == \"50\"", true)]
    [InlineData("Priority == \"0x32\"", true)]
    [InlineData("Priority == \"0o62\"", true)]
    [InlineData("Priority == \"062\"", true)]
    [InlineData("Priority == \"0b110010\"", true)]
    [InlineData("Priority == \"5_0\"", true)]
    [InlineData("Priority != 51", true)]
    [InlineData("Small == -5", true)]
    [InlineData("CreateIndex == 42", true)]
    [InlineData("JobVersion == 3", true)]
    [InlineData("JobVersion != 4", true)]
    [InlineData("Weight == 1.5", true)]
    [InlineData("Weight == \"1.5e0\"", true)]
    [InlineData("Weight != 1.25", true)]
    [InlineData("Ratio == 0.25", true)]
    [InlineData("Price == 9.99", true)]
    [InlineData("IsMultiregion == false", true)]
    [InlineData("IsMultiregion == \"F\"", true)]
    [InlineData("IsMultiregion == 0", true)]
    [InlineData("IsMultiregion != true", true)]
    [InlineData("State == running", true)]
    [InlineData("State == \"Running\"", true)]
    [InlineData("State != failed", true)]
    [InlineData("Uid == \"3F2504E0-4F89-11D3-9A0C-0305E82C3301\"", true)]
    [InlineData("Uid == \"not-a-guid\"", false)]
    [InlineData("Grade == A", true)]
    [InlineData("Renamed == \"renamed-value\"", true)]
    // in / contains: list items, map keys, substrings; not in / not contains
    [InlineData("\"canary\" in Tags", true)]
    [InlineData("canary in Tags", true)]
    [InlineData("\"green\" in Tags", false)]
    [InlineData("\"green\" not in Tags", true)]
    [InlineData("Tags contains \"blue\"", true)]
    [InlineData("Tags not contains \"blue\"", false)]
    [InlineData("2 in Numbers", true)]
    [InlineData("Numbers contains 4", false)]
    [InlineData("\"web\" in TaskGroups", true)]
    [InlineData("TaskGroups contains \"db\"", false)]
    [InlineData("\"owner\" in Meta", true)]
    [InlineData("\"run\" in Status", true)]
    [InlineData("Status contains \"unn\"", true)]
    [InlineData("Status not contains \"fail\"", true)]
    [InlineData("\"a-2\" in TaskGroups.web.PlacedCanaries", true)]
    [InlineData("7 in Mixed", true)]
    [InlineData("true in Mixed", true)]
    [InlineData("\"a\" in Mixed", true)]
    [InlineData("\"b\" in Mixed", false)]
    // matches / not matches (RE2-style, unanchored)
    [InlineData("JobID matches \"^web-\"", true)]
    [InlineData("JobID matches \"app$\"", true)]
    [InlineData("JobID matches `^[a-z]+-[a-z]+$`", true)]
    [InlineData("JobID matches \"^api\"", false)]
    [InlineData("JobID not matches \"^api\"", true)]
    [InlineData("StatusDescription matches \"(?m)^second\"", true)]
    // is empty / is not empty on strings, lists, maps; a null list or string is empty
    [InlineData("Tags is not empty", true)]
    [InlineData("Tags is empty", false)]
    [InlineData("Meta.empty is empty", true)]
    [InlineData("TaskGroups.cache.PlacedCanaries is empty", true)]
    [InlineData("TaskGroups is not empty", true)]
    [InlineData("Status is not empty", true)]
    // is nil / is not nil
    [InlineData("Optional is nil", true)]
    [InlineData("Child is not nil", true)]
    [InlineData("TaskGroups.cache.PlacedCanaries is nil", true)]
    [InlineData("Tags is nil", false)]
    public void Operators_MatchAsGoBexprDoes(string expression, bool expected) => Assert.Equal(expected, Eval(expression));

    [Theory]
    [InlineData("TaskGroups[\"web\"].Promoted == true", true)]
    [InlineData("TaskGroups.web.Promoted == true", true)]
    [InlineData("TaskGroups[ \"cache\" ].Promoted == true", false)]
    [InlineData("TaskGroups.cache.AutoPromote", null)]
    [InlineData("Meta.owner == \"team-a\"", true)]
    [InlineData("Meta[\"team name\"] == platform", true)]
    [InlineData("Meta[`team name`] == platform", true)]
    [InlineData("Tags.0 == blue", true)]
    [InlineData("Tags.1 == canary", true)]
    [InlineData("Numbers.2 == 3", true)]
    [InlineData("Child.Name == kid", true)]
    [InlineData("\"/TaskGroups/web/Promoted\" == true", true)]
    [InlineData("\"/Meta/owner\" == \"team-a\"", true)]
    [InlineData("\"blue\" in \"/Tags\"", true)]
    public void Selectors_ReachFieldsMapKeysAndListItems(string expression, bool? expected)
    {
        if (expected is null)
        {
            Assert.Throws<FilterSyntaxException>(() => NomadFilter.Parse(expression));
            return;
        }
        Assert.Equal(expected, Eval(expression));
    }

    [Theory]
    [InlineData("Meta.nope == \"x\"", false)]
    [InlineData("Meta.nope != \"x\"", true)]
    [InlineData("\"x\" in Meta.nope", false)]
    [InlineData("\"x\" not in Meta.nope", true)]
    [InlineData("Meta.nope is empty", true)]
    [InlineData("Meta.nope is not empty", false)]
    [InlineData("Meta.nope matches \".*\"", false)]
    [InlineData("Meta.nope not matches \".*\"", true)]
    [InlineData("Meta.nope is nil", true)]
    [InlineData("Meta.nope is not nil", false)]
    [InlineData("TaskGroups.db.Promoted == true", false)]
    [InlineData("TaskGroups.db.Promoted != true", true)]
    // A null on the way or a null value reads the same as a missing key.
    [InlineData("Optional == 3", false)]
    [InlineData("Optional != 3", true)]
    [InlineData("Child.Name == kid", false)]
    public void MissingKeysAndNulls_AnswerAsGoBexprAnswersAMissingKey(string expression, bool expected)
    {
        var sparse = new Deployment { Meta = new() { ["owner"] = "x" }, TaskGroups = [] };
        Assert.Equal(expected, Eval(expression, sparse));
    }

    [Fact]
    public void NullStringsReadAsEmpty_AndNullCollectionsAsEmptyCollections()
    {
        var bare = new Deployment();

        Assert.True(Eval("StatusDescription == \"\"", bare));
        Assert.True(Eval("StatusDescription is empty", bare));
        Assert.True(Eval("Tags is empty", bare));
        Assert.False(Eval("\"blue\" in Tags", bare));
        Assert.True(Eval("Meta.owner is empty", bare));
        Assert.True(Eval("StatusDescription is nil", bare));
    }

    [Theory]
    // go-bexpr's precedence is not > and > or. Sample: Status == running (T), Priority == 50 (T), IsMultiregion (F).
    [InlineData("Status == running or IsMultiregion == true and Priority == 1", true)]
    [InlineData("(Status == running or IsMultiregion == true) and Priority == 1", false)]
    [InlineData("IsMultiregion == true and Priority == 1 or Status == running", true)]
    [InlineData("IsMultiregion == true and (Priority == 1 or Status == running)", false)]
    [InlineData("not Status == running and Priority == 50", false)]
    [InlineData("not (Status == running and Priority == 1)", true)]
    [InlineData("not Status == running or Priority == 50", true)]
    [InlineData("not (Status == running or Priority == 50)", false)]
    [InlineData("not not Status == running", true)]
    [InlineData("not not not Status == running", false)]
    [InlineData("((Status == running))", true)]
    [InlineData("( Status == running ) and ( Priority == 50 )", true)]
    [InlineData("Status == running and Priority == 50 and IsMultiregion == false and JobVersion == 3", true)]
    [InlineData("Status == x or Priority == 1 or IsMultiregion == true or JobVersion == 3", true)]
    [InlineData("  Status==running  ", true)]
    [InlineData("Status==\"running\"\tand\nPriority==50", true)]
    public void BooleanLogic_HasGoBexprsPrecedence(string expression, bool expected) => Assert.Equal(expected, Eval(expression));

    [Theory]
    [InlineData("StatusDescription == \"Deployment is running\\nsecond line\"", true)]
    [InlineData("StatusDescription == `Deployment is running\\nsecond line`", false)]
    [InlineData("Meta.quote == \"say \\\"hi\\\"\"", true)]
    [InlineData("Meta.slash == \"C:\\\\dir\"", true)]
    [InlineData("Meta.slash == `C:\\dir`", true)]
    [InlineData("Meta.accent == \"caf\\u00e9\"", true)]
    [InlineData("Meta.accent == \"caf\\xe9\"", true)]
    [InlineData("Meta.accent == \"caf\\351\"", true)]
    [InlineData("Meta.tab == \"a\\tb\"", true)]
    [InlineData("Meta.emoji == \"\\U0001F600\"", true)]
    public void StringLiterals_ResolveGoEscapes_AndRawStringsKeepThem(string expression, bool expected)
    {
        var deployment = new Deployment
        {
            StatusDescription = Sample.StatusDescription,
            Meta = new() { ["quote"] = "say \"hi\"", ["slash"] = "C:\\dir", ["accent"] = "café", ["tab"] = "a\tb", ["emoji"] = "\U0001F600" },
        };
        Assert.Equal(expected, Eval(expression, deployment));
    }

    [Theory]
    // The messages of go-bexpr's own grammar tests, word for word.
    [InlineData("foo == \"12x", "1:12 (11): rule \"string\": Unterminated string literal")]
    [InlineData("foo == `12x", "1:12 (11): rule \"string\": Unterminated string literal")]
    [InlineData("foo == 3x", "1:9 (8): rule \"number\": Invalid number literal")]
    [InlineData("foo[3] == abc", "1:5 (4): rule \"index\": Invalid index")]
    [InlineData("x in foo[\"abc\"", "1:15 (14): rule \"index\": Unclosed index expression")]
    [InlineData("foo[\"abc\" == 3", "1:11 (10): rule \"index\": Unclosed index expression")]
    [InlineData("x in 32", "1:6 (5): rule \"match\": Invalid selector")]
    [InlineData("32 == 32", "1:4 (3): no match found, expected: \"in\", \"not\" or [ \\t\\r\\n]")]
    [InlineData("32 is empty", "1:4 (3): no match found, expected: \"in\", \"not\" or [ \\t\\r\\n]")]
    [InlineData("x in foo abc", "1:10 (9): no match found, expected: \"and\", \"or\", [ \\t\\r\\n] or EOF")]
    [InlineData("x in foo and ", "1:14 (13): no match found, expected: \"(\", \"-\", \"0\", \"\\\"\", \"`\", \"not\", [ \\t\\r\\n], [1-9] or [a-zA-Z]")]
    [InlineData("x in foo or ", "1:13 (12): no match found, expected: \"(\", \"-\", \"0\", \"\\\"\", \"`\", \"all\", \"any\", \"not\", [ \\t\\r\\n], [1-9] or [a-zA-Z]")]
    [InlineData("x in foo or not ", "1:17 (16): no match found, expected: \"!=\", \"(\", \"-\", \"0\", \"==\", \"\\\"\", \"`\", \"contains\", \"in\", \"is\", \"matches\", \"not\", [ \\t\\r\\n], [1-9] or [a-zA-Z]")]
    [InlineData("(foo == 4", "1:10 (9): rule \"grouping\": Unmatched parentheses")]
    public void MalformedInput_FailsWithGoBexprsMessage(string expression, string message) => Assert.Equal(message, SyntaxError(expression));

    [Theory]
    [InlineData("Status ==", "1:10 (9): no match found, expected: \"-\", \"0\", \"\\\"\", \"`\", [ \\t\\r\\n], [1-9] or [a-zA-Z]")]
    [InlineData("Status === running", "1:10 (9): no match found, expected: \"-\", \"0\", \"\\\"\", \"`\", [ \\t\\r\\n], [1-9] or [a-zA-Z]")]
    [InlineData("Status ~= running", "1:8 (7): no match found, expected: \"!=\", \"==\", \"contains\", \"in\", \"is\", \"matches\", \"not\" or [ \\t\\r\\n]")]
    public void MissingOperandOrUnknownOperator_FailsWithTheExpectedList(string expression, string message) => Assert.Equal(message, SyntaxError(expression));

    [Theory]
    [InlineData("Status ==", "1:10 (9)")]                // missing operand
    [InlineData("== running", "1:1 (0)")]                // missing selector
    [InlineData("Status", "1:7 (6)")]                    // no operator at all
    [InlineData("Status === running", "1:10 (9)")]       // unknown operator
    [InlineData("Status ~= running", "1:8 (7)")]         // unknown operator
    [InlineData("Status = running", "1:8 (7)")]          // a single =
    [InlineData("Status == running and", "1:22 (21)")]   // dangling and: it still wants the whitespace after "and"
    [InlineData("Status == running)", "1:18 (17)")]      // stray parenthesis
    [InlineData("", "1:1 (0)")]                          // nothing
    [InlineData("Status == running AND Priority == 1", "1:19 (18)")] // keywords are lower case
    [InlineData("Status is", "1:10 (9)")]
    [InlineData("Status is not", "1:14 (13)")]
    [InlineData("Tags contains", "1:14 (13)")]
    [InlineData("not", "1:4 (3)")]
    public void MalformedInput_SaysWhereAndWhatWasExpected(string expression, string position)
    {
        var message = SyntaxError(expression);

        Assert.StartsWith(position + ": no match found, expected: ", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Status == \"\\q\"", "1:11 (10): rule \"string\": invalid syntax")]
    [InlineData("Status == \"a\nb\"", "1:11 (10): rule \"string\": invalid syntax")]
    [InlineData("Status == \"\\ud800\"", "1:11 (10): rule \"string\": invalid syntax")]
    [InlineData("Meta[\"x] == 1", "1:14 (13): rule \"string\": Unterminated string literal")]
    [InlineData("Status == \"caf\u00e9", "1:16 (16): rule \"string\": Unterminated string literal")]
    [InlineData("Status ==\n  \"x", "2:5 (14): rule \"string\": Unterminated string literal")]
    public void MalformedStrings_FailWithGoBexprsMessage(string expression, string message) => Assert.Equal(message, SyntaxError(expression));

    [Fact]
    public void AnInvalidRegularExpression_FailsWhenParsed()
    {
        var message = SyntaxError("JobID matches \"(unclosed\"");

        Assert.StartsWith("failed to compile regular expression \"(unclosed\"", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepNesting_FailsCleanly_AndLongChainsParse()
    {
        Assert.Contains("max nesting depth", SyntaxError(new string('(', 500) + "Status == running" + new string(')', 500)), StringComparison.Ordinal);
        Assert.Contains("max nesting depth", SyntaxError(string.Concat(Enumerable.Repeat("not ", 500)) + "Status == running"), StringComparison.Ordinal);

        var longChain = string.Join(" and ", Enumerable.Repeat("Priority == 50", 5000));
        Assert.True(Eval(longChain));
        Assert.True(Eval(string.Join(" or ", Enumerable.Repeat("Priority == 1", 5000)) + " or Status == running"));
    }

    [Theory]
    [InlineData("Nope == 1", "error finding value in datum: /Nope at part 0: couldn't find struct field with name \"Nope\"")]
    [InlineData("TaskGroups.web.Nope == 1", "error finding value in datum: /TaskGroups/web/Nope at part 2: couldn't find struct field with name \"Nope\"")]
    [InlineData("Hidden == hidden", "error finding value in datum: /Hidden at part 0: couldn't find struct field with name \"Hidden\"")]
    [InlineData("Original == x", "error finding value in datum: /Original at part 0: couldn't find struct field with name \"Original\"")]
    [InlineData("Priority == abc", "error getting match value in expression: strconv.ParseInt: parsing \"abc\": invalid syntax")]
    [InlineData("Priority == 1.5", "error getting match value in expression: strconv.ParseInt: parsing \"1.5\": invalid syntax")]
    [InlineData("Priority == 99999999999999999999", "error getting match value in expression: strconv.ParseInt: parsing \"99999999999999999999\": value out of range")]
    [InlineData("JobVersion == -1", "error getting match value in expression: strconv.ParseUint: parsing \"-1\": invalid syntax")]
    [InlineData("IsMultiregion == yes", "error getting match value in expression: strconv.ParseBool: parsing \"yes\": invalid syntax")]
    [InlineData("Weight == heavy", "error getting match value in expression: strconv.ParseFloat: parsing \"heavy\": invalid syntax")]
    [InlineData("\"x\" in Numbers", "error getting match value in expression: strconv.ParseInt: parsing \"x\": invalid syntax")]
    [InlineData("Tags == blue", "unable to find suitable primitive comparison function for matching")]
    [InlineData("Created == x", "unable to find suitable primitive comparison function for matching")]
    [InlineData("\"1\" in Priority", "cannot perform in/contains operations on type int32 for selector: \"Priority\"")]
    [InlineData("Priority is empty", "cannot perform is-empty operations on type int32 for selector: \"Priority\"")]
    [InlineData("Status is nil", "cannot perform is-nil operations on type string for selector: \"Status\"")]
    [InlineData("Priority matches \"5\"", "value of type int32 is not convertible to []byte")]
    [InlineData("Tags.x == blue", "error finding value in datum: /Tags/x at part 1: failed to parse index \"x\"")]
    [InlineData("Tags.7 == blue", "error finding value in datum: /Tags/7 at part 1: index 7 is out of range")]
    public void FiltersThatDoNotFitTheObject_FailEvaluation_ForA400(string expression, string message) =>
        Assert.Equal(message, EvaluationError(expression));

    [Fact]
    public void EvaluationErrors_OnlyArise_WhereGoBexprWouldEvaluate()
    {
        // "or" stops at the first match, so the unknown field on its right is never looked at.
        Assert.True(Eval("Status == running or Nope == 1"));
        Assert.Throws<FilterEvaluationException>(() => Eval("Status == failed or Nope == 1"));
    }

    [Theory]
    [InlineData("any Tags as t { t == canary }", true)]
    [InlineData("all Tags as t { t == canary }", false)]
    [InlineData("all Tags as t { t not matches \"^x\" }", true)]
    [InlineData("any TaskGroups as name { name == cache }", true)]
    [InlineData("any TaskGroups as _, g { g.Promoted == true }", true)]
    [InlineData("all TaskGroups as _, g { g.Promoted == true }", false)]
    [InlineData("any TaskGroups as name, g { name == web and g.DesiredCanaries == 2 }", true)]
    [InlineData("any TaskGroups as name, _ { name == db }", false)]
    [InlineData("any Numbers as i, n { i == 2 and n == 3 }", true)]
    [InlineData("all Numbers as n { n != 0 }", true)]
    [InlineData("Status == x or any Tags as t { t == blue }", true)]
    [InlineData("any Meta.nope as x { x == 1 }", false)]
    [InlineData("all Meta.nope as x { x == 1 }", true)]
    public void CollectionExpressions_IterateListsAndMaps(string expression, bool expected) => Assert.Equal(expected, Eval(expression));

    [Fact]
    public void CollectionExpressions_RejectWhatGoBexprRejects()
    {
        Assert.Equal("\"x\" cannot be used as a placeholder for both the index and the value", EvaluationError("any Tags as x, x { x == 1 }"));
        Assert.Equal("Status is not a list or a map", EvaluationError("any Status as s { s == 1 }"));
        Assert.Equal("/k references a string so /k/x is invalid", EvaluationError("any TaskGroups as k { k.x == 1 }"));
    }

    [Fact]
    public void TheSameFilter_WorksOnObjectsOfDifferentTypes_AndOnDictionaries()
    {
        var filter = NomadFilter.Parse("Status == running");
        object[] items =
        [
            new Deployment(),
            new { Status = "running" },
            new Dictionary<string, object?> { ["Status"] = "running" },
            new Dictionary<string, object?> { ["Status"] = "failed" },
            new Dictionary<string, object?>(),
        ];

        Assert.Equal([true, true, true, false, false], items.Select(filter.Matches));
        Assert.False(filter.Matches(null));
        Assert.True(NomadFilter.Parse("Status != running").Matches(null));
    }

    [Fact]
    public void OtherCollectionTypes_WorkLikeListsAndMaps()
    {
        var root = new
        {
            Set = new HashSet<string> { "x", "y" },
            ReadOnly = new System.Collections.ObjectModel.ReadOnlyDictionary<string, int>(new Dictionary<string, int> { ["a"] = 1 }),
            ByNumber = new SortedDictionary<int, string> { [2] = "two" },
            Untyped = new System.Collections.Hashtable { ["k"] = "v" },
        };

        Assert.True(Eval("\"y\" in Set", root));
        Assert.False(Eval("Set is empty", root));
        Assert.True(Eval("ReadOnly.a == 1", root));
        Assert.True(Eval("\"a\" in ReadOnly", root));
        Assert.True(Eval("ByNumber.2 == two", root));
        Assert.True(Eval("Untyped.k == v", root));
        Assert.True(Eval("any ReadOnly as k, v { k == a and v == 1 }", root));
    }

    [Fact]
    public void OneFilter_CanBeEvaluatedFromManyThreadsAtOnce()
    {
        var filter = NomadFilter.Parse("TaskGroups[\"web\"].Promoted == true and \"canary\" in Tags");
        var items = Enumerable.Range(0, 20_000).Select(i => Item(i)).ToArray();
        var expected = items.Count(d => d.TaskGroups!["web"].Promoted && d.Tags!.Contains("canary"));

        var counts = new int[8];
        Parallel.For(0, counts.Length, t => counts[t] = items.Count(filter.Matches));

        Assert.All(counts, c => Assert.Equal(expected, c));
    }

    [Fact]
    public void AHundredThousandItems_FilterToExactlyWhatLinqSelects()
    {
        var items = Enumerable.Range(0, 100_000).Select(i => Item(i)).ToArray();
        var filter = NomadFilter.Parse("Status != \"successful\" and (JobVersion == 3 or TaskGroups[\"web\"].Promoted == true) and \"canary\" in Tags");

        var matched = items.Where(filter.Matches).Select(d => d.ID).ToList();

        var expected = items
            .Where(d => d.Status != "successful" && (d.JobVersion == 3 || d.TaskGroups!["web"].Promoted) && d.Tags!.Contains("canary"))
            .Select(d => d.ID)
            .ToList();
        Assert.NotEmpty(expected);
        Assert.NotEqual(items.Length, expected.Count);
        Assert.Equal(expected, matched);
    }

    private static Deployment Item(int i) => new()
    {
        ID = $"d-{i}",
        Status = (i % 3) switch { 0 => "running", 1 => "successful", _ => "failed" },
        JobVersion = (ulong)(i % 5),
        TaskGroups = new() { ["web"] = new GroupState { Promoted = i % 7 == 0 } },
        Tags = i % 2 == 0 ? ["canary"] : ["stable"],
    };
}
