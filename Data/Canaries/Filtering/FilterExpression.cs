using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Dashboard.Data.Canaries.Filtering;

internal enum MatchOperator
{
    Equal,
    NotEqual,
    In,
    NotIn,
    IsEmpty,
    IsNotEmpty,
    Matches,
    NotMatches,
    IsNil,
    IsNotNil,
}

/// <summary>The object being filtered and the names bound by enclosing <c>any</c>/<c>all</c> expressions.</summary>
internal readonly record struct Scope(object? Root, Binding? Bindings);

/// <summary>
/// A name bound by <c>any Selector as name { ... }</c>: a list item or map value (selectable further),
/// or a map key or list index (a plain value).
/// </summary>
internal sealed record Binding(string Name, object? Value, TypeShape Declared, bool IsKeyOrIndex, Binding? Parent);

internal abstract class FilterExpression
{
    public abstract bool Evaluate(in Scope scope);
}

internal sealed class AndExpression(FilterExpression[] terms) : FilterExpression
{
    public IReadOnlyList<FilterExpression> Terms => terms;

    public override bool Evaluate(in Scope scope)
    {
        foreach (var term in terms)
        {
            if (!term.Evaluate(scope)) return false;
        }
        return true;
    }
}

internal sealed class OrExpression(FilterExpression[] terms) : FilterExpression
{
    public IReadOnlyList<FilterExpression> Terms => terms;

    public override bool Evaluate(in Scope scope)
    {
        foreach (var term in terms)
        {
            if (term.Evaluate(scope)) return true;
        }
        return false;
    }
}

internal sealed class NotExpression(FilterExpression operand) : FilterExpression
{
    public FilterExpression Operand { get; } = operand;

    public override bool Evaluate(in Scope scope) => !Operand.Evaluate(scope);
}

/// <summary><c>&lt;selector&gt; &lt;operator&gt; &lt;value&gt;</c>, evaluated as go-bexpr evaluates a match expression.</summary>
internal sealed class MatchExpression(Selector selector, MatchOperator op, FilterValue? value) : FilterExpression
{
    public Selector Selector => selector;

    public MatchOperator Operator => op;

    public FilterValue? Value => value;

    public override bool Evaluate(in Scope scope)
    {
        var found = selector.Resolve(scope);
        if (!found.Present) return AbsentAnswer(op);
        var declared = found.Declared;
        var target = found.Value;

        if (op is MatchOperator.IsNil or MatchOperator.IsNotNil) return IsNil(target) == (op == MatchOperator.IsNil);

        // Go has no null strings and its nil lists and maps are empty; any other null is a value that is not there.
        if (target is null && declared.Kind != ValueKind.String && declared.Kind is not (ValueKind.Map or ValueKind.List)) return AbsentAnswer(op);
        var shape = target is null ? declared : declared.OfValue(target);
        target ??= shape.Kind == ValueKind.String ? "" : null;

        return op switch
        {
            MatchOperator.Equal => Equal(shape, target!),
            MatchOperator.NotEqual => !Equal(shape, target!),
            MatchOperator.In => Contains(shape, target),
            MatchOperator.NotIn => !Contains(shape, target),
            MatchOperator.IsEmpty => IsEmpty(shape, target),
            MatchOperator.IsNotEmpty => !IsEmpty(shape, target),
            MatchOperator.Matches => Matches(shape, target!),
            MatchOperator.NotMatches => !Matches(shape, target!),
            _ => throw new InvalidOperationException($"invalid match operation: {op}"),
        };
    }

    /// <summary>go-bexpr's answer for a key that is not there: nothing equals, contains or matches it, and it is empty and nil.</summary>
    private static bool AbsentAnswer(MatchOperator op) => op is MatchOperator.NotEqual or MatchOperator.NotIn or MatchOperator.IsEmpty
        or MatchOperator.NotMatches or MatchOperator.IsNil;

    private bool Equal(TypeShape shape, object target)
    {
        if (!shape.IsPrimitive) throw new FilterEvaluationException("unable to find suitable primitive comparison function for matching");
        return value!.EqualTo(shape, target, strict: true) == true;
    }

    private bool Contains(TypeShape shape, object? target)
    {
        switch (shape.Kind)
        {
            case ValueKind.Map:
                return target is not null && shape.Map!.TryGet(target, value!.Raw, out _);
            case ValueKind.List:
                if (target is null) return false;
                var elements = shape.List!.ElementShape;
                var strictItems = elements.Type != typeof(object);
                if (target is IList indexed)
                {
                    for (var i = 0; i < indexed.Count; i++)
                    {
                        if (ItemEquals(indexed[i], elements, strictItems)) return true;
                    }
                    return false;
                }
                foreach (var item in ListAdapter.Items(target))
                {
                    if (ItemEquals(item, elements, strictItems)) return true;
                }
                return false;
            case ValueKind.String or ValueKind.Enum or ValueKind.Guid:
                return Text(target!).Contains(value!.Raw, StringComparison.Ordinal);
            default:
                throw new FilterEvaluationException($"cannot perform in/contains operations on type {shape.GoName} for selector: {FilterParser.Quote(selector.Text)}");
        }
    }

    private bool ItemEquals(object? item, TypeShape elements, bool strict)
    {
        if (item is null) return false;
        var itemShape = elements.OfValue(item);
        if (!itemShape.IsPrimitive)
            throw new FilterEvaluationException($"unable to find suitable primitive comparison function for \"in\" comparison: {itemShape.GoName}");
        // A list of mixed values skips the items the value does not convert to, as go-bexpr does for []interface{}.
        return value!.EqualTo(itemShape, item, strict) == true;
    }

    private bool IsEmpty(TypeShape shape, object? target) => shape.Kind switch
    {
        ValueKind.Map => target is null || shape.Map!.Count(target) == 0,
        ValueKind.List => target is null || shape.List!.Count(target) == 0,
        ValueKind.String => ((string)Text(target!)).Length == 0,
        _ => throw new FilterEvaluationException($"cannot perform is-empty operations on type {shape.GoName} for selector: {FilterParser.Quote(selector.Text)}"),
    };

    private bool IsNil(object? target)
    {
        if (target is null) return true;
        var shape = TypeShape.Of(target.GetType());
        if (shape.IsPrimitive)
            throw new FilterEvaluationException($"cannot perform is-nil operations on type {shape.GoName} for selector: {FilterParser.Quote(selector.Text)}");
        return false;
    }

    private bool Matches(TypeShape shape, object target)
    {
        if (!shape.IsText) throw new FilterEvaluationException($"value of type {shape.GoName} is not convertible to []byte");
        return value!.Pattern!.IsMatch(Text(target));
    }

    private static string Text(object target) => target switch
    {
        string s => s,
        Guid g => g.ToString(),
        _ => target.ToString() ?? "",
    };
}

/// <summary><c>any|all Selector as index, value { expression }</c>.</summary>
internal sealed record CollectionBinding(string? Default, string? Index, string? Value);

internal sealed class CollectionExpression(bool all, Selector selector, CollectionBinding names, FilterExpression inner) : FilterExpression
{
    private static readonly TypeShape KeyShape = TypeShape.Of(typeof(string));
    private static readonly TypeShape IndexShape = TypeShape.Of(typeof(int));

    private string Op => all ? "all" : "any";

    public override bool Evaluate(in Scope scope)
    {
        if (names.Index is not null && names.Index == names.Value)
            throw new FilterEvaluationException($"{FilterParser.Quote(names.Index)} cannot be used as a placeholder for both the index and the value");
        var found = selector.Resolve(scope);
        if (!found.Present) return all;
        var target = found.Value;
        var shape = target is null ? found.Declared : found.Declared.OfValue(target);
        switch (shape.Kind)
        {
            case ValueKind.Map:
                if (!shape.Map!.KeysAreStrings && target is not null && shape.Map.Count(target) > 0)
                    throw new FilterEvaluationException($"{Op} can only iterate over maps indexed with strings");
                if (target is null) return all;
                foreach (var (key, item) in shape.Map.Entries(target))
                {
                    var bindings = scope.Bindings;
                    if (names.Default is not null) bindings = new Binding(names.Default, key, KeyShape, true, bindings);
                    if (names.Index is not null) bindings = new Binding(names.Index, key, KeyShape, true, bindings);
                    if (names.Value is not null) bindings = new Binding(names.Value, item, shape.Map.ValueShape, false, bindings);
                    if (Decides(new Scope(scope.Root, bindings))) return !all;
                }
                return all;
            case ValueKind.List:
                if (target is null) return all;
                var index = 0;
                foreach (var item in ListAdapter.Items(target))
                {
                    var bindings = scope.Bindings;
                    if (names.Index is not null) bindings = new Binding(names.Index, index, IndexShape, true, bindings);
                    if (names.Default is not null) bindings = new Binding(names.Default, item, shape.List!.ElementShape, false, bindings);
                    if (names.Value is not null) bindings = new Binding(names.Value, item, shape.List!.ElementShape, false, bindings);
                    if (Decides(new Scope(scope.Root, bindings))) return !all;
                    index++;
                }
                return all;
            default:
                throw new FilterEvaluationException($"{selector.Text} is not a list or a map");
        }
    }

    /// <summary>Whether this item settles the answer: a match for <c>any</c>, a miss for <c>all</c>.</summary>
    private bool Decides(in Scope scope) => inner.Evaluate(scope) != all;
}

/// <summary>A path of field names, map keys and list indexes, resolved against objects with cached accessors.</summary>
internal sealed class Selector
{
    private readonly StepCache?[] _caches;

    public Selector(string[] parts, bool isPointer)
    {
        Parts = parts;
        IsPointer = isPointer;
        _caches = new StepCache?[parts.Length];
    }

    public string[] Parts { get; }

    public bool IsPointer { get; }

    /// <summary>As go-bexpr prints a selector in messages.</summary>
    public string Text => string.Join(IsPointer ? "/" : ".", Parts);

    private string Pointer => "/" + string.Join('/', Parts);

    // The last type seen at each step and what it resolved to: a filter runs over many objects of one type.
    private sealed record StepCache(Type Type, TypeShape Shape, PropertyAccessor? Property);

    public readonly record struct Found(bool Present, object? Value, TypeShape Declared);

    private static readonly TypeShape Anything = TypeShape.Of(typeof(object));

    public Found Resolve(in Scope scope)
    {
        object? current = scope.Root;
        var declared = Anything;
        var first = 0;
        for (var binding = scope.Bindings; binding is not null; binding = binding.Parent)
        {
            if (binding.Name != Parts[0]) continue;
            if (binding.IsKeyOrIndex && Parts.Length > 1)
                throw new FilterEvaluationException($"/{Parts[0]} references a {(binding.Value is int ? "int" : "string")} so {Pointer} is invalid");
            current = binding.Value;
            declared = binding.Declared;
            first = 1;
            break;
        }

        for (var i = first; i < Parts.Length; i++)
        {
            // A null on the way (a nil map, a missing object) has nothing under it.
            if (current is null) return default;
            var type = current.GetType();
            var cache = _caches[i];
            if (cache is null || cache.Type != type)
            {
                var shape = TypeShape.Of(type);
                cache = new StepCache(type, shape, shape.Kind == ValueKind.Object ? shape.Property(Parts[i]) : null);
                _caches[i] = cache;
            }
            switch (cache.Shape.Kind)
            {
                case ValueKind.Object:
                    if (cache.Property is null)
                        throw new FilterEvaluationException($"error finding value in datum: {Pointer} at part {i}: couldn't find struct field with name {FilterParser.Quote(Parts[i])}");
                    current = cache.Property.Get(current);
                    declared = cache.Property.Shape;
                    break;
                case ValueKind.Map:
                    if (!cache.Shape.Map!.TryGet(current, Parts[i], out current)) return default;
                    declared = cache.Shape.Map.ValueShape;
                    break;
                case ValueKind.List:
                    if (!int.TryParse(Parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                        throw new FilterEvaluationException($"error finding value in datum: {Pointer} at part {i}: failed to parse index {FilterParser.Quote(Parts[i])}");
                    if (!cache.Shape.List!.TryGet(current, index, out current))
                        throw new FilterEvaluationException($"error finding value in datum: {Pointer} at part {i}: index {index} is out of range");
                    declared = cache.Shape.List.ElementShape;
                    break;
                default:
                    throw new FilterEvaluationException($"error finding value in datum: {Pointer} at part {i}: invalid value kind: {cache.Shape.GoName}");
            }
        }
        return new Found(true, current, declared);
    }
}

/// <summary>
/// A value as written in the expression. go-bexpr keeps it as text and converts it to the type of
/// whatever it is compared with; the conversions are Go's strconv ones, cached per kind.
/// </summary>
internal sealed class FilterValue(string raw)
{
    private readonly object?[] _converted = new object?[Enum.GetValues<ValueKind>().Length];

    public string Raw { get; } = raw;

    /// <summary>The compiled pattern of a <c>matches</c> expression.</summary>
    public Regex? Pattern { get; set; }

    /// <summary>
    /// Whether <paramref name="target"/> equals this value converted to its kind. When the value does
    /// not convert: an error if <paramref name="strict"/>, else null (an item of a mixed list that is skipped).
    /// </summary>
    public bool? EqualTo(TypeShape shape, object target, bool strict)
    {
        var converted = Converted(shape.Kind);
        if (converted is ConversionError error) return strict ? throw new FilterEvaluationException($"error getting match value in expression: {error.Message}") : null;
        return shape.Kind switch
        {
            ValueKind.Bool => (bool)target == (bool)converted!,
            ValueKind.Int => ToInt64(target) == (long)converted!,
            ValueKind.UInt => ToUInt64(target) == (ulong)converted!,
            ValueKind.Float32 => (float)target == (float)converted!,
            ValueKind.Float64 => (double)target == (double)converted!,
            ValueKind.Decimal => (decimal)target == (decimal)converted!,
            ValueKind.String => target is string s ? s == Raw : target.ToString() == Raw,
            // An enum reads as its name in JSON (with whatever casing the naming policy gives it).
            ValueKind.Enum => string.Equals(target.ToString(), Raw, StringComparison.OrdinalIgnoreCase),
            ValueKind.Guid => converted is Guid g && (Guid)target == g,
            _ => throw new FilterEvaluationException("unable to find suitable primitive comparison function for matching"),
        };
    }

    private sealed record ConversionError(string Message);

    private sealed record NoGuid;

    private object? Converted(ValueKind kind)
    {
        var cached = _converted[(int)kind];
        if (cached is not null) return cached;
        cached = kind switch
        {
            ValueKind.Bool => GoStrconv.ParseBool(Raw, out var b) is { } e1 ? new ConversionError(e1) : b,
            ValueKind.Int => GoStrconv.ParseInt(Raw, out var l) is { } e2 ? new ConversionError(e2) : l,
            ValueKind.UInt => GoStrconv.ParseUint(Raw, out var u) is { } e3 ? new ConversionError(e3) : u,
            ValueKind.Float32 => GoStrconv.ParseFloat(Raw, 32, out var f) is { } e4 ? new ConversionError(e4) : (float)f,
            ValueKind.Float64 => GoStrconv.ParseFloat(Raw, 64, out var d) is { } e5 ? new ConversionError(e5) : d,
            ValueKind.Decimal => decimal.TryParse(Raw, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var m)
                ? m
                : new ConversionError($"strconv.ParseFloat: parsing {FilterParser.Quote(Raw)}: invalid syntax"),
            ValueKind.Guid => Guid.TryParse(Raw, out var g) ? g : new NoGuid(),
            _ => Raw,
        };
        _converted[(int)kind] = cached;
        return cached;
    }

    private static long ToInt64(object target) => target switch
    {
        int i => i,
        long l => l,
        short s => s,
        sbyte b => b,
        nint n => n,
        _ => Convert.ToInt64(target, CultureInfo.InvariantCulture),
    };

    private static ulong ToUInt64(object target) => target switch
    {
        uint i => i,
        ulong l => l,
        ushort s => s,
        byte b => b,
        nuint n => n,
        _ => Convert.ToUInt64(target, CultureInfo.InvariantCulture),
    };
}

/// <summary>Go's strconv parsing, which decides what a filter value means for a typed field.</summary>
internal static class GoStrconv
{
    /// <summary>strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.</summary>
    public static string? ParseBool(string s, out bool value)
    {
        switch (s)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                value = true;
                return null;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                value = false;
                return null;
            default:
                value = false;
                return $"strconv.ParseBool: parsing {FilterParser.Quote(s)}: invalid syntax";
        }
    }

    /// <summary>strconv.ParseInt(s, 0, 64): a sign, then decimal, 0x hex, 0o or leading-0 octal, or 0b binary, with _ between digits.</summary>
    public static string? ParseInt(string s, out long value)
    {
        value = 0;
        var negative = s.StartsWith('-');
        var body = s.Length > 0 && s[0] is '+' or '-' ? s[1..] : s;
        if (ParseMagnitude(body, out var magnitude) is { } syntax) return $"strconv.ParseInt: parsing {FilterParser.Quote(s)}: {syntax}";
        if (negative ? magnitude > (ulong)long.MaxValue + 1 : magnitude > long.MaxValue)
            return $"strconv.ParseInt: parsing {FilterParser.Quote(s)}: value out of range";
        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return null;
    }

    /// <summary>strconv.ParseUint(s, 0, 64): as ParseInt, without a sign.</summary>
    public static string? ParseUint(string s, out ulong value)
    {
        value = 0;
        if (ParseMagnitude(s, out var magnitude) is { } syntax) return $"strconv.ParseUint: parsing {FilterParser.Quote(s)}: {syntax}";
        value = magnitude;
        return null;
    }

    private static string? ParseMagnitude(string s, out ulong value)
    {
        value = 0;
        var radix = 10u;
        var digits = s;
        if (s.Length > 1 && s[0] == '0')
        {
            switch (s[1])
            {
                case 'x' or 'X': radix = 16; digits = s[2..]; break;
                case 'o' or 'O': radix = 8; digits = s[2..]; break;
                case 'b' or 'B': radix = 2; digits = s[2..]; break;
                default: radix = 8; digits = s[1..]; break;
            }
        }
        if (digits.Length == 0 || !UnderscoresOk(s)) return "invalid syntax";
        var overflow = false;
        foreach (var c in digits)
        {
            if (c == '_') continue;
            var digit = c switch
            {
                >= '0' and <= '9' => (uint)(c - '0'),
                >= 'a' and <= 'z' => (uint)(c - 'a' + 10),
                >= 'A' and <= 'Z' => (uint)(c - 'A' + 10),
                _ => uint.MaxValue,
            };
            if (digit >= radix) return "invalid syntax";
            if (value > (ulong.MaxValue - digit) / radix) overflow = true;
            else value = value * radix + digit;
        }
        return overflow ? "value out of range" : null;
    }

    /// <summary>Go's rule: an underscore only between digits, or between a base prefix and a digit.</summary>
    private static bool UnderscoresOk(string s)
    {
        if (!s.Contains('_')) return true;
        var previous = '^';
        var i = 0;
        if (s.Length >= 2 && s[0] == '0' && char.IsAsciiLetter(s[1]))
        {
            previous = '0';
            i = 2;
        }
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '_')
            {
                if (previous != '0') return false;
            }
            else if (previous == '_' && !char.IsAsciiLetterOrDigit(c)) return false;
            previous = c == '_' ? '_' : char.IsAsciiLetterOrDigit(c) ? '0' : '!';
        }
        return previous != '_';
    }

    /// <summary>strconv.ParseFloat: decimal or exponent notation, inf, infinity and nan in any case.</summary>
    public static string? ParseFloat(string s, int bits, out double value)
    {
        var text = s.Replace("_", "", StringComparison.Ordinal);
        var unsigned = text.TrimStart('+', '-');
        var negative = text.StartsWith('-');
        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return null;
        }
        if (unsigned.Equals("nan", StringComparison.OrdinalIgnoreCase) && text.Length == 3)
        {
            value = double.NaN;
            return null;
        }
        const NumberStyles goFloat = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (!double.TryParse(text, goFloat, CultureInfo.InvariantCulture, out value) || !UnderscoresOk(s) || s.Length == 0)
            return $"strconv.ParseFloat: parsing {FilterParser.Quote(s)}: invalid syntax";
        if (double.IsInfinity(value) || (bits == 32 && float.IsInfinity((float)value)))
            return $"strconv.ParseFloat: parsing {FilterParser.Quote(s)}: value out of range";
        return null;
    }
}
