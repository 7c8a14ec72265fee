using System.Collections;
using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Dashboard.Data.Canaries.Filtering;

/// <summary>How go-bexpr would see a value of a C# type: the Go kind it compares as.</summary>
internal enum ValueKind
{
    Bool,
    Int,
    UInt,
    Float32,
    Float64,
    Decimal,
    String,
    Enum,
    Guid,
    Map,
    List,
    Object,
    /// <summary>A struct with no fields to select and no primitive comparison (a time, a duration).</summary>
    Opaque,
}

/// <summary>
/// What a type looks like to a filter, computed once per type and shared by every filter: its kind,
/// and the compiled accessors for its properties, dictionary keys or list items.
/// </summary>
internal sealed class TypeShape
{
    private static readonly ConcurrentDictionary<Type, TypeShape> Shapes = new();

    private readonly ConcurrentDictionary<string, PropertyAccessor?> _properties = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PropertyInfo> _propertyInfos = new(StringComparer.Ordinal);

    private TypeShape(Type type)
    {
        Type = type;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        Kind = Classify(underlying, out var map, out var list);
        Map = map;
        List = list;
        if (Kind == ValueKind.Object)
        {
            foreach (var property in underlying.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length > 0 || property.GetMethod is null) continue;
                // [JsonIgnore] hides a field the way go-bexpr's `bexpr:"-"` tag does; [JsonPropertyName] renames it.
                if (property.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always }) continue;
                var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? property.Name;
                _propertyInfos.TryAdd(name, property);
            }
        }
    }

    public static TypeShape Of(Type type) => Shapes.GetOrAdd(type, static t => new TypeShape(t));

    /// <summary>The shape of a value whose declared shape is this one: the same, unless it is a subtype.</summary>
    public TypeShape OfValue(object value)
    {
        var type = value.GetType();
        return type == Type ? this : Of(type);
    }

    public Type Type { get; }

    public ValueKind Kind { get; }

    public MapAdapter? Map { get; }

    public ListAdapter? List { get; }

    public bool IsPrimitive => Kind is not (ValueKind.Map or ValueKind.List or ValueKind.Object or ValueKind.Opaque);

    public bool IsText => Kind is ValueKind.String or ValueKind.Enum or ValueKind.Guid;

    /// <summary>The property go-bexpr would call this field, compiled on first use; null when there is none.</summary>
    public PropertyAccessor? Property(string name) =>
        _properties.GetOrAdd(name, static (n, shape) => shape._propertyInfos.TryGetValue(n, out var info) ? PropertyAccessor.Compile(info) : null, this);

    /// <summary>Go's name for the kind, as go-bexpr's messages print it.</summary>
    public string GoName => Kind switch
    {
        ValueKind.Bool => "bool",
        ValueKind.Int or ValueKind.UInt => (Nullable.GetUnderlyingType(Type) ?? Type).Name switch
        {
            nameof(SByte) => "int8",
            nameof(Int16) => "int16",
            nameof(Int32) => "int32",
            nameof(Byte) => "uint8",
            nameof(UInt16) => "uint16",
            nameof(UInt32) => "uint32",
            nameof(UInt64) => "uint64",
            _ => "int64",
        },
        ValueKind.Float32 => "float32",
        ValueKind.Float64 or ValueKind.Decimal => "float64",
        ValueKind.String or ValueKind.Enum or ValueKind.Guid => "string",
        ValueKind.Map => "map",
        ValueKind.List => "slice",
        _ => "struct",
    };

    private static ValueKind Classify(Type type, out MapAdapter? map, out ListAdapter? list)
    {
        map = null;
        list = null;
        if (type == typeof(bool)) return ValueKind.Bool;
        if (type == typeof(string) || type == typeof(char)) return ValueKind.String;
        if (type.IsEnum) return ValueKind.Enum;
        if (type == typeof(Guid)) return ValueKind.Guid;
        if (type == typeof(sbyte) || type == typeof(short) || type == typeof(int) || type == typeof(long) || type == typeof(nint)) return ValueKind.Int;
        if (type == typeof(byte) || type == typeof(ushort) || type == typeof(uint) || type == typeof(ulong) || type == typeof(nuint)) return ValueKind.UInt;
        if (type == typeof(float)) return ValueKind.Float32;
        if (type == typeof(double)) return ValueKind.Float64;
        if (type == typeof(decimal)) return ValueKind.Decimal;
        if (type == typeof(object)) return ValueKind.Object;
        if ((map = MapAdapter.For(type)) is not null) return ValueKind.Map;
        if ((list = ListAdapter.For(type)) is not null) return ValueKind.List;
        if (type.IsPrimitive || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan)
            || type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(Uri))
            return ValueKind.Opaque;
        return ValueKind.Object;
    }
}

/// <summary>A property getter compiled once: <c>o =&gt; (object)((T)o).Property</c>.</summary>
internal sealed class PropertyAccessor(Func<object, object?> get, Type type)
{
    private TypeShape? _shape;

    public Func<object, object?> Get { get; } = get;

    /// <summary>The declared type's shape, which decides how a null reads (a null string is "", a null list is empty).</summary>
    public TypeShape Shape => _shape ??= TypeShape.Of(type);

    public static PropertyAccessor Compile(PropertyInfo property)
    {
        var instance = Expression.Parameter(typeof(object), "o");
        var body = Expression.Convert(Expression.Property(Expression.Convert(instance, property.DeclaringType!), property), typeof(object));
        return new PropertyAccessor(Expression.Lambda<Func<object, object?>>(body, instance).Compile(), property.PropertyType);
    }
}

/// <summary>Dictionary access for one dictionary type, without reflection per call.</summary>
internal abstract class MapAdapter
{
    private TypeShape? _valueShape;

    public abstract Type ValueType { get; }

    public TypeShape ValueShape => _valueShape ??= TypeShape.Of(ValueType);

    public abstract bool KeysAreStrings { get; }

    public abstract bool TryGet(object map, string key, out object? value);

    public abstract int Count(object map);

    public abstract IEnumerable<KeyValuePair<object, object?>> Entries(object map);

    public static MapAdapter? For(Type type)
    {
        foreach (var candidate in new[] { typeof(IReadOnlyDictionary<,>), typeof(IDictionary<,>) })
        {
            var generic = type.IsGenericType && type.GetGenericTypeDefinition() == candidate
                ? type
                : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == candidate);
            if (generic is not null) return (MapAdapter)Activator.CreateInstance(typeof(Map<,>).MakeGenericType(generic.GetGenericArguments()))!;
        }
        return typeof(IDictionary).IsAssignableFrom(type) ? new UntypedMap() : null;
    }

    /// <summary>Whether a dictionary key is the text a selector names (go-bexpr converts the text to the key's type).</summary>
    protected static bool KeyIs(object? key, string text) =>
        key is string s ? s == text : Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture) == text;

    /// <summary>Any <c>IReadOnlyDictionary&lt;K,V&gt;</c> or <c>IDictionary&lt;K,V&gt;</c>; both are sequences of pairs.</summary>
    private sealed class Map<TKey, TValue> : MapAdapter
    {
        public override Type ValueType => typeof(TValue);

        public override bool KeysAreStrings { get; } = typeof(TKey) == typeof(string);

        public override bool TryGet(object map, string key, out object? value)
        {
            if (KeysAreStrings)
            {
                var typedKey = (TKey)(object)key;
                var found = map is IReadOnlyDictionary<TKey, TValue> readOnly
                    ? readOnly.TryGetValue(typedKey, out var typed)
                    : ((IDictionary<TKey, TValue>)map).TryGetValue(typedKey, out typed);
                value = typed;
                return found;
            }
            foreach (var (k, v) in (IEnumerable<KeyValuePair<TKey, TValue>>)map)
            {
                if (!KeyIs(k, key)) continue;
                value = v;
                return true;
            }
            value = null;
            return false;
        }

        public override int Count(object map) => map is IReadOnlyCollection<KeyValuePair<TKey, TValue>> readOnly
            ? readOnly.Count
            : ((ICollection<KeyValuePair<TKey, TValue>>)map).Count;

        public override IEnumerable<KeyValuePair<object, object?>> Entries(object map) =>
            ((IEnumerable<KeyValuePair<TKey, TValue>>)map).Select(e => new KeyValuePair<object, object?>(e.Key!, e.Value));
    }

    private sealed class UntypedMap : MapAdapter
    {
        public override Type ValueType => typeof(object);

        public override bool KeysAreStrings => false;

        public override bool TryGet(object map, string key, out object? value)
        {
            var dictionary = (IDictionary)map;
            if (dictionary.Contains(key))
            {
                value = dictionary[key];
                return true;
            }
            foreach (DictionaryEntry entry in dictionary)
            {
                if (!KeyIs(entry.Key, key)) continue;
                value = entry.Value;
                return true;
            }
            value = null;
            return false;
        }

        public override int Count(object map) => ((IDictionary)map).Count;

        public override IEnumerable<KeyValuePair<object, object?>> Entries(object map) =>
            ((IDictionary)map).Cast<DictionaryEntry>().Select(e => new KeyValuePair<object, object?>(e.Key, e.Value));
    }
}

/// <summary>List access for one list type: arrays and lists by index, other sequences by walking them.</summary>
internal sealed class ListAdapter(Type elementType)
{
    private TypeShape? _elementShape;

    public Type ElementType { get; } = elementType;

    public TypeShape ElementShape => _elementShape ??= TypeShape.Of(ElementType);

    public static ListAdapter? For(Type type)
    {
        if (type.IsArray) return new ListAdapter(type.GetElementType()!);
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        if (enumerable is not null) return new ListAdapter(enumerable.GetGenericArguments()[0]);
        return typeof(IEnumerable).IsAssignableFrom(type) ? new ListAdapter(typeof(object)) : null;
    }

    public int Count(object list) => list switch
    {
        ICollection collection => collection.Count,
        _ => ((IEnumerable)list).Cast<object?>().Count(),
    };

    public bool TryGet(object list, int index, out object? item)
    {
        if (list is IList indexed)
        {
            var inRange = index >= 0 && index < indexed.Count;
            item = inRange ? indexed[index] : null;
            return inRange;
        }
        var i = 0;
        foreach (var element in (IEnumerable)list)
        {
            if (i++ != index) continue;
            item = element;
            return true;
        }
        item = null;
        return false;
    }

    public static IEnumerable Items(object list) => (IEnumerable)list;
}
