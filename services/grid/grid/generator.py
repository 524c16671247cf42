"""A synthetic district: irregular polygons with full coverage and no overlaps,
Chinese names, codes by the standard, households within range.

Each grid is cut into its children by a Voronoi tessellation of random points
inside it (relaxed once so cells are not slivers), clipped to the grid: the cells
tile the parent exactly, and no two shapes are alike. Sizes:

- ``small`` (for ``make run``): 姑苏区 320508, two streets, four communities, their
  grids (one exclusive), household groups for one grid.
- ``large`` (benchmarks): 12 towns/streets, 200 communities, 1,000 basic grids,
  10,000 household groups, plus exclusive grids.

    python -m grid.generator --size large --out district.geojson
    python -m grid.generator --size small --load     # into the grid database
"""
import argparse
import json
import math
import random
import sys

import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from grid.geo import polygonal_part, to_geojson

CENTRE = (120.62, 31.31)  # Suzhou, Gusu
SYLLABLES = ("金阊彩香三元虎丘白洋湾平江沧浪双塔吴门桥锦东西南北新华翠园枫横塘娄葑盘溪胥沙湖山"
             "梅竹松柏莲荷桂兰清泉石岭河滨长乐安宁和顺福寿康庄春晓景德")
UNIT_LABELS = {"industrial_park": "工业园", "school": "学校", "market": "农贸市场",
               "hospital": "医院", "enterprise": "企业", "business_district": "商圈"}


def _blob(rng, centre, radius_deg, points=64):
    """An irregular, star-shaped district outline."""
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(4)]
    ring = []
    for i in range(points):
        angle = 2 * math.pi * i / points
        wobble = 1 + sum(0.08 / (k + 1) * math.sin((k + 2) * angle + phases[k]) for k in range(4))
        ring.append((centre[0] + radius_deg * wobble * math.cos(angle) / math.cos(math.radians(centre[1])),
                     centre[1] + radius_deg * wobble * math.sin(angle)))
    return Polygon(ring)


def _points_inside(rng, polygon, count):
    minx, miny, maxx, maxy = polygon.bounds
    prepared = polygon
    shapely.prepare(prepared)
    points = []
    for _ in range(count * 200):
        if len(points) == count:
            break
        point = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if prepared.contains(point):
            points.append(point)
    return points


def split(rng, polygon, count):
    """``count`` cells tiling ``polygon`` exactly, ordered west to east."""
    if count == 1:
        return [polygon]
    points = _points_inside(rng, polygon, count)
    for _ in range(2):  # Lloyd relaxation: rounder cells
        cells = _cells(polygon, points)
        points = [cell.centroid if not cell.is_empty and polygon.contains(cell.centroid) else p
                  for cell, p in zip(cells, points)]
    cells = [c for c in _cells(polygon, points) if not c.is_empty]
    return sorted(cells, key=lambda c: (round(c.centroid.x, 6), -round(c.centroid.y, 6)))


def _cells(polygon, points):
    diagram = shapely.voronoi_polygons(MultiPoint(points), extend_to=polygon, ordered=True)
    return [polygonal_part(cell.intersection(polygon)) for cell in diagram.geoms]


class Names:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def place(self):
        for _ in range(10000):
            name = "".join(self.rng.sample(SYLLABLES, 2))
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of names")


def _feature(code, name, parent, geometry, **properties):
    level = {6: "district", 9: "town", 12: "community", 15: "villager_group", 18: "household_group"}[len(code)]
    props = {"code": code, "name": name, "level": level, "kind": "basic", "parent_code": parent}
    props.update(properties)
    return {"type": "Feature", "geometry": to_geojson(geometry), "properties": props}


def build(spec, seed=2026, radius_deg=0.05):
    """Features for a district described by ``spec``: a nested dict
    ``{code, name, children: [...], households?, kind?, unit_type?}``."""
    rng = random.Random(seed)
    features = []

    def visit(node, parent_code, geometry):
        children = node.get("children", [])
        households = node.get("households")
        extra = {k: node[k] for k in ("kind", "unit_type", "zone_type") if k in node}
        if children:
            cells = split(rng, geometry, len(children))
            sums = [visit(child, node["code"], cell) for child, cell in zip(children, cells)]
            households = households or sum(s for s in sums if s)
        population = node.get("population") or (int(households * rng.uniform(2.4, 2.9)) if households else None)
        features.append(_feature(node["code"], node["name"], parent_code, geometry,
                                 households=households, population=population, **extra))
        return households

    visit(spec, None, _blob(rng, CENTRE, radius_deg))
    features.sort(key=lambda f: (len(f["properties"]["code"]), f["properties"]["code"]))
    return {"type": "FeatureCollection", "features": features}


def small_spec():
    def grids(community, names, households):
        return [{"code": f"{community}{i + 1:03d}", "name": name, "households": h}
                for i, (name, h) in enumerate(zip(names, households))]

    caixiang = grids("320508019044", ["彩香一村第一网格", "彩香一村第二网格", "彩香一村第三网格"], [412, 455, 388])
    caixiang[0]["children"] = [{"code": f"320508019044001{i:03d}", "name": f"彩香一村第一网格第{i}住户小组",
                                "households": h} for i, h in enumerate([34, 41, 38, 45, 30, 47, 36, 42, 39, 40], 1)]
    caixiang.append({"code": "320508019044901", "name": "彩香工业坊专属网格", "kind": "exclusive",
                     "unit_type": "industrial_park", "households": 0})
    return {"code": "320508", "name": "姑苏区", "children": [
        {"code": "320508019", "name": "金阊街道", "children": [
            {"code": "320508019044", "name": "彩香一村社区", "children": caixiang},
            {"code": "320508019045", "name": "三元二村社区",
             "children": grids("320508019045", ["三元二村第一网格", "三元二村第二网格"], [436, 470])},
        ]},
        {"code": "320508014", "name": "双塔街道", "children": [
            {"code": "320508014021", "name": "定慧寺巷社区",
             "children": grids("320508014021", ["定慧寺巷第一网格", "定慧寺巷第二网格"], [395, 421])},
            {"code": "320508014202", "name": "新庄村",
             "children": grids("320508014202", ["新庄村第一村民小组"], [318])},
        ]},
    ]}


def large_spec(seed=2026, towns=12, communities=200, grids_per_community=5, groups_per_grid=10):
    rng = random.Random(seed)
    names = Names(rng)
    spec = {"code": "320509", "name": "示范区", "children": []}
    per_town = [communities // towns + (1 if i < communities % towns else 0) for i in range(towns)]
    for t, n_communities in enumerate(per_town):
        street = t < towns * 2 // 3   # two thirds streets (001-099), the rest towns (100-199)
        town_code = f"320509{(t + 1) if street else (100 + t):03d}"
        town = {"code": town_code, "name": names.place() + ("街道" if street else "镇"), "children": []}
        for c in range(n_communities):
            residents = street or c % 3 == 0   # 001-199 residents' committee, 200-399 villagers'
            seq = (c + 1) if residents else (200 + c)
            community_code = f"{town_code}{seq:03d}"
            community_name = names.place() + ("社区" if residents else "村")
            community = {"code": community_code, "name": community_name, "children": []}
            for g in range(grids_per_community):
                grid_code = f"{community_code}{g + 1:03d}"
                sizes = [rng.randint(30, 50) for _ in range(groups_per_grid)]
                while not 300 <= sum(sizes) <= 500:
                    sizes = [rng.randint(30, 50) for _ in range(groups_per_grid)]
                community["children"].append({
                    "code": grid_code, "name": f"{community_name}第{g + 1}网格",
                    "children": [{"code": f"{grid_code}{h + 1:03d}", "name": f"{community_name}第{g + 1}网格第{h + 1}住户小组",
                                  "households": size} for h, size in enumerate(sizes)]})
            if c % 4 == 0:
                unit = rng.choice(sorted(UNIT_LABELS))
                community["children"].append({"code": f"{community_code}901", "kind": "exclusive", "unit_type": unit,
                                              "name": f"{community_name}{UNIT_LABELS[unit]}专属网格", "households": 0})
            town["children"].append(community)
        spec["children"].append(town)
    return spec


def main(argv=None):
    parser = argparse.ArgumentParser(description="Generate a synthetic district as GeoJSON.")
    parser.add_argument("--size", choices=("small", "large"), default="small")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", help="write the FeatureCollection here (default: standard output)")
    parser.add_argument("--load", action="store_true", help="import into the grid database instead")
    args = parser.parse_args(argv)
    spec = small_spec() if args.size == "small" else large_spec(args.seed)
    collection = build(spec, args.seed, radius_deg=0.03 if args.size == "small" else 0.25)
    if args.load:
        from grid.demo import load_collection
        load_collection(collection)
    elif args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            json.dump(collection, out, ensure_ascii=False)
    else:
        json.dump(collection, sys.stdout, ensure_ascii=False)
    print(f"{len(collection['features'])} grids", file=sys.stderr)


if __name__ == "__main__":
    main()
