#!/usr/bin/env python3
"""Generate the ILLUSTRATIVE Fuzhou sample dataset (data/sample/fuzhou/{facilities,projects}.csv).

Everything written here is invented: plant lines, intensities and projects are plausible stand-ins
calibrated on the cited real projects in the reference table (row numbers = `id` column of
spec/reference/05_technology_rows.csv). It is NOT real Fuzhou data.

Deterministic: each facility draws from its own RNG seeded with (SEED, crc32(facility_id)), so adding
or removing one facility does not change the others. Run:  python3 data/make_sample.py
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20250601
HERE = Path(__file__).resolve().parent
OUT = HERE / "sample" / "fuzhou"

# The data contract (data-format.md) requires energy_intensity > 0. Converter (转炉) intensities
# are negative (net energy export), so converter lines are left out by default. Set True once the
# loader accepts negative intensities for products whose benchmark is negative.
INCLUDE_CONVERTERS = True

TAG = "ILLUSTRATIVE sample data —"
COAL, GAS = 2.660, 1.626          # tCO2/tce, data/emission_factors.csv fuel_coal / fuel_natural_gas
GRID_FJ = 0.4211                  # tCO2/MWh, grid_fujian_2023
KGCE_PER_KWH = 0.1229             # electricity calorific equivalent (当量值), kgce/kWh
ELEC_PRICE = 0.06                 # 万元 per MWh (0.6 CNY/kWh), assumed industrial tariff

products = pd.read_csv(HERE / "products.csv").set_index("product")
targets = pd.read_csv(HERE / "targets.csv")


def rng_for(fid: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(fid.encode())])


# --------------------------------------------------------------------------------------------
# Facilities: (id, name, sector, product, capacity, r, district, note)
# r places the current intensity: ei = benchmark + r * (baseline - benchmark);
# r <= 0 already at benchmark, r > 1 worse than baseline.
# --------------------------------------------------------------------------------------------
ST, PC, BM = "steel", "petrochemical", "building_materials"
LY, FQ, LJ, MQ, YT = "罗源县", "福清市", "连江县", "闽清县", "永泰县"

FAC = [
    # Luoyuan Bay steel (firm names from reference 04; lines, sizes and intensities invented)
    ("ST01", "宝钢德盛 1#烧结机 265m²", ST, "sinter", 3_000_000, 0.55, LY, "Luoyuan Bay"),
    ("ST02", "宝钢德盛 2#烧结机 265m²", ST, "sinter", 3_000_000, 0.35, LY, "Luoyuan Bay"),
    ("ST03", "宝钢德盛 1#高炉 1280m³", ST, "blast_furnace", 1_100_000, 0.55, LY, "Luoyuan Bay"),
    ("ST04", "宝钢德盛 2#高炉 1280m³", ST, "blast_furnace", 1_100_000, 0.45, LY, "Luoyuan Bay"),
    ("ST05", "罗源闽光 烧结机 240m²", ST, "sinter", 2_600_000, 0.7, LY, "Luoyuan Bay; 三钢集团"),
    ("ST06", "罗源闽光 链篦机-回转窑球团", ST, "pellet", 1_200_000, 0.6, LY, "Luoyuan Bay"),
    ("ST07", "罗源闽光 1#高炉 1250m³", ST, "blast_furnace", 1_300_000, 0.7, LY, "Luoyuan Bay"),
    ("ST08", "罗源闽光 2#高炉 1250m³", ST, "blast_furnace", 1_300_000, 0.8, LY, "Luoyuan Bay"),
    ("ST09", "罗源湾焦化 顶装焦炉 6m", ST, "coke_top_charged", 1_000_000, 0.9, LY, "invented coke plant"),
    ("ST10", "罗源湾焦化 捣固焦炉 4.3m", ST, "coke_stamp_charged", 600_000, 1.15, LY, "invented coke plant, old"),
    ("ST11", "亿鑫钢铁 60t 电弧炉", ST, "eaf_50t_plus", 800_000, 0.5, LY, "Luoyuan Bay"),
    ("ST12", "亿鑫钢铁 40t 电弧炉", ST, "eaf_30_50t", 400_000, 1.2, LY, "Luoyuan Bay, old"),
    ("ST13", "大东海 450m³ 高炉", ST, "blast_furnace", 500_000, 1.2, LY, "Luoyuan Bay, old"),
    ("ST14", "大东海 90m² 烧结机", ST, "sinter", 900_000, 1.3, LY, "Luoyuan Bay, old"),
    ("ST15", "泰铭不锈钢 70t 电弧炉", ST, "eaf_50t_plus", 700_000, -0.1, LY, "Luoyuan Bay"),
    ("ST16", "吴航不锈钢 40t 电弧炉", ST, "eaf_30_50t", 500_000, 0.75, LY, "Luoyuan Bay"),
    # Converters: only with INCLUDE_CONVERTERS (negative intensities)
    ("ST17", "宝钢德盛 1#转炉 120t", ST, "converter", 2_000_000, 0.6, LY, "Luoyuan Bay"),
    ("ST18", "宝钢德盛 2#转炉 120t", ST, "converter", 1_900_000, 0.4, LY, "Luoyuan Bay"),
    ("ST19", "罗源闽光 转炉 100t", ST, "converter", 3_200_000, 0.7, LY, "Luoyuan Bay"),
    ("ST20", "大东海 转炉 50t", ST, "converter", 600_000, 1.2, LY, "Luoyuan Bay, old"),
    # Jiangyin (福清) and Kemen (连江) chemicals
    ("PC01", "东南电化 1#离子膜烧碱（32%液碱）", PC, "caustic_soda_liquid_30", 120_000, 0.7, FQ, "Jiangyin park"),
    ("PC02", "东南电化 2#离子膜烧碱（32%液碱）", PC, "caustic_soda_liquid_30", 300_000, -0.05, FQ, "Jiangyin park, new line"),
    ("PC03", "东南电化 3#烧碱（湄洲湾搬迁）", PC, "caustic_soda_liquid_30", 80_000, 1.2, FQ, "Jiangyin park, relocated old line"),
    ("PC04", "东南电化 50%液碱蒸发", PC, "caustic_soda_liquid_45", 100_000, 0.6, FQ, "Jiangyin park"),
    ("PC05", "东南电化 片碱（固碱98%）", PC, "caustic_soda_solid_98", 50_000, 0.8, FQ, "Jiangyin park"),
    ("PC06", "万华化学（福建） 离子膜烧碱（45%液碱）", PC, "caustic_soda_liquid_45", 300_000, 0.4, FQ, "Jiangyin park"),
    ("PC07", "可门示例氯碱 离子膜烧碱（32%液碱）", PC, "caustic_soda_liquid_30", 150_000, 0.5, LJ, "Kemen park, invented firm"),
    ("PC08", "江阴示例煤化工甲 合成氨（粉煤气化）", PC, "ammonia_coal_powder", 300_000, 0.6, FQ, "invented ammonia plant"),
    ("PC09", "江阴示例煤化工乙 合成氨（优质无烟块煤）", PC, "ammonia_coal_premium", 180_000, 1.1, FQ, "invented ammonia plant, old"),
    ("PC10", "江阴示例煤化工丙 合成氨（型煤）", PC, "ammonia_coal_other", 150_000, 0.75, FQ, "invented ammonia plant"),
    ("PC11", "可门示例化工 合成氨（天然气）", PC, "ammonia_natural_gas", 250_000, 0.3, LJ, "invented ammonia plant, Kemen park"),
    ("PC12", "可门示例化工 2#合成氨（粉煤气化）", PC, "ammonia_coal_powder", 200_000, 0.5, LJ, "invented ammonia plant, Kemen park"),
    # Flat glass and cement clinker (invented firms)
    ("BM01", "福清示例浮法玻璃 1#线 600t/d", BM, "flat_glass_500_800", 3_400_000, 0.6, FQ, "invented"),
    ("BM02", "福清示例浮法玻璃 2#线 900t/d", BM, "flat_glass_over_800", 5_000_000, 0.45, FQ, "invented"),
    ("BM03", "连江示例水泥 熟料线 5000t/d", BM, "cement_clinker", 1_550_000, 0.5, LJ, "invented"),
    ("BM04", "永泰示例水泥 熟料线 2500t/d", BM, "cement_clinker", 780_000, 0.95, YT, "invented"),
]

# Minqing ceramics cluster: firm names are Minqing town names + 建陶/陶瓷 (invented), plus 金城陶瓷
# (named in reference 04). (firm, line, product, capacity m2/yr, r)
LOW, MID, HIGH = ("ceramic_tile_low_absorption", "ceramic_tile_mid_absorption",
                  "ceramic_tile_high_absorption")
TILES = [
    ("金城陶瓷", "1#线", HIGH, 3_200_000, 0.6), ("金城陶瓷", "2#线", HIGH, 2_400_000, 0.8),
    ("金城陶瓷", "3#线", MID, 1_800_000, 0.5),
    ("梅溪建陶", "1#线", LOW, 6_000_000, 0.5), ("梅溪建陶", "2#线", LOW, 4_500_000, 0.4),
    ("梅溪建陶", "3#线", LOW, 3_600_000, -0.1),
    ("白中陶瓷", "1#线", HIGH, 2_800_000, 0.7), ("白中陶瓷", "2#线", HIGH, 850_000, 1.1),
    ("东桥建陶", "1#线", MID, 4_000_000, 0.35), ("东桥建陶", "2#线", MID, 2_200_000, 0.75),
    ("云龙陶瓷", "1#线", HIGH, 1_500_000, 0.9), ("云龙陶瓷", "2#线", HIGH, 600_000, 1.2),
    ("坂东建陶", "1#线", LOW, 5_200_000, 0.65), ("坂东建陶", "2#线", MID, 3_000_000, 0.3),
    ("池园陶瓷", "1#线", HIGH, 950_000, 0.95), ("池园陶瓷", "2#线", HIGH, 1_200_000, 0.85),
    ("塔庄建陶", "1#线", MID, 2_600_000, 0.55), ("塔庄建陶", "2#线", HIGH, 750_000, 1.05),
    ("上莲陶瓷", "1#线", HIGH, 2_000_000, -0.05), ("上莲陶瓷", "2#线", HIGH, 1_000_000, 0.9),
    ("白樟建陶", "1#线", LOW, 3_000_000, 0.8), ("白樟建陶", "2#线", MID, 500_000, 1.25),
    ("省璜陶瓷", "1#线", HIGH, 1_600_000, 1.05), ("省璜陶瓷", "2#线", HIGH, 900_000, 1.0),
    ("雄江建陶", "1#线", MID, 3_400_000, 0.6), ("雄江建陶", "2#线", LOW, 2_500_000, 0.7),
    ("桔林陶瓷", "1#线", HIGH, 1_300_000, 0.75), ("下祝陶瓷", "1#线", MID, 800_000, 0.9),
]
SANITARY = [  # (firm, capacity t/yr, r); 4000 t ≈ 200 000 pieces at the assumed 20 kg/piece
    ("梅溪洁具", 12_000, 0.3), ("东桥卫浴", 8_000, 0.45), ("坂东洁具", 5_200, 0.6),
    ("云龙卫浴", 3_600, 0.85), ("池园洁具", 2_600, 1.0),
]
for i, (firm, line, prod, cap, r) in enumerate(TILES, 1):
    FAC.append((f"BC{i:02d}", f"闽清{firm}（示例） 陶瓷砖{line}", BM, prod, cap, r, MQ, "Minqing ceramics cluster"))
for i, (firm, cap, r) in enumerate(SANITARY, 1):
    FAC.append((f"SC{i:02d}", f"闽清{firm}（示例） 卫生陶瓷隧道窑线", BM, "sanitary_ceramics", cap, r, MQ,
                "Minqing ceramics cluster"))

# Facilities with a retire option beyond the mandatory small ceramic lines
RETIRE_EXTRA = {"ST10", "ST12", "ST13", "ST14", "ST20", "PC03", "PC09", "BC23"}
# retire capex, 万元 per unit of capacity (assumed demolition + compensation, no reference row)
RETIRE_COST = {"sinter": 0.006, "blast_furnace": 0.015, "converter": 0.008, "eaf_30_50t": 0.012,
               "coke_stamp_charged": 0.01, "caustic_soda_liquid_30": 0.045,
               "ammonia_coal_premium": 0.06, "tile": 0.00045, "sanitary_ceramics": 0.06}


def rnd_ei(x: float, prod: str) -> float:
    return round(x, 3) if abs(products.at[prod, "benchmark"]) < 20 else round(x, 1)


def emission_factor(prod: str) -> float:
    """tCO2 per tce of the facility's energy use (illustrative)."""
    if prod == "ammonia_natural_gas":
        return GAS
    if prod.startswith(("caustic", "eaf")):           # electricity-dominated
        return GRID_FJ / (KGCE_PER_KWH)               # tCO2/MWh ÷ tce/MWh
    return COAL


# --------------------------------------------------------------------------------------------
# Project templates per product family: names and categories
#   tiers: (L1 name, L1 category, L2 name, L2 category, L3 name, L3 category or None)
#   chain: (prerequisite name, category, dependent name, category) or None
# --------------------------------------------------------------------------------------------
TPL = {
    "sinter": (("烧结厚料层+漏风治理", "process"), ("烧结极致能效改造（烟气循环+低碳点火）", "process"),
               None, ("环冷机密封及除尘改造", "process", "烧结环冷余热发电", "waste_heat")),
    "pellet": (("链篦机-回转窑热工优化", "kiln"), ("球团焙烧系统节能改造（余热回用）", "waste_heat"),
               None, None),
    "blast_furnace": (("热风炉高效化改造", "kiln"), ("高炉极致能效改造（富氧喷煤+煤气全回收）", "process"),
                      None, ("高炉煤气干法除尘改造", "process", "TRT余压发电（干法）", "waste_heat")),
    "coke": (("焦炉加热优化+上升管余热回收", "waste_heat"), ("干熄焦（CDQ）+余热发电", "waste_heat"),
             None, ("焦炉烟气脱硫除尘改造", "process", "焦炉烟道气余热回收", "waste_heat")),
    "eaf": (("电炉废钢预热+智能供电", "electric_furnace"), ("新型节能电炉替换（连续加料+废钢预热）", "electric_furnace"),
            None, ("电炉除尘系统改造", "process", "电炉烟气余热蒸汽回收", "waste_heat")),
    "converter": (("转炉煤气高效回收", "waste_heat"), ("转炉一次除尘干法（LT）+煤气蒸汽全回收", "process"),
                  None, None),
    "caustic": (("离子膜电解槽膜极距改造", "process"), ("零极距离子膜电解槽改造", "process"),
                None, ("氯氢处理及循环水系统优化", "process", "氯化氢合成余热副产蒸汽", "waste_heat")),
    "ammonia": (("造气/气化系统节能改造", "process"), ("合成氨系统能效提升（低压合成+高效催化剂+余热回收）", "process"),
                ("绿氢耦合替代部分煤制氢", "fuel_switch"),
                ("造气吹风气除尘改造", "process", "吹风气余热回收锅炉", "waste_heat")),
    "tile": (("窑炉保温+节能烧嘴改造", "kiln"), ("宽体辊道窑替换+自动烧成控制", "kiln"),
             ("煤制气改天然气+窑炉改造", "fuel_switch"),
             ("窑炉烟气除尘脱硫改造", "process", "窑炉烟气余热回用干燥器", "waste_heat")),
    "sanitary": (("隧道窑保温+轻质窑具改造", "kiln"), ("高效隧道窑+余热回用", "kiln"),
                 ("煤制气改天然气+窑炉改造", "fuel_switch"), None),
    "glass": (("熔窑富氧燃烧改造", "kiln"), ("全氧燃烧+电助熔改造", "electric_furnace"), None,
              ("玻璃熔窑烟气除尘脱硝", "process", "玻璃熔窑余热发电", "waste_heat")),
    "cement": (("篦冷机+预热器改造", "kiln"), ("第二代新型干法节能改造", "process"),
               ("替代燃料（生物质/RDF）", "fuel_switch"),
               ("窑尾除尘改造", "process", "纯低温余热发电", "waste_heat")),
}


def family(prod: str) -> str:
    for k in ("coke", "eaf", "caustic", "ammonia", "glass"):
        if prod.startswith(k) or (k == "glass" and prod.startswith("flat_glass")):
            return k
    if prod.startswith("ceramic_tile"):
        return "tile"
    if prod == "sanitary_ceramics":
        return "sanitary"
    if prod == "cement_clinker":
        return "cement"
    return prod


# Capex calibration (CNY per tce/yr saved, median) and the reference row cited
CAL = {
    ("steel", "L1"): (3300, "reference row 1 (MIIT sinter WHR programme, ~3300 CNY per tce/yr)"),
    ("steel", "L2"): (5000, "reference row 17 (CISA extreme-efficiency retrofits, 800亿元 for 2400万 tce cumulative 2023-25, i.e. ~3300-6700 CNY per tce/yr by ramp-up; ~5000 used for benchmark-level retrofits)"),
    ("steel", "W"): (3300, "reference row 1 (MIIT sinter WHR programme, ~3300 CNY per tce/yr; size ~20 kWh/t sinter)"),
    ("coke", "L2"): (3750, "reference rows 4-5 (CDQ ~40000 tce/yr net per Mt coke; Tiexiong Xinsha ~1.0 CNY per kWh/yr)"),
    ("bf", "W"): (None, "reference rows 7-8 (dry TRT ~50 kWh/t hot metal; Masteel BFG power ~0.88 CNY per kWh/yr)"),
    ("bm", "L1"): (2200, "reference row 10 (Tongchuan 9 MW kiln WHR, ~2200 CNY per tce/yr)"),
    ("bm", "L2"): (4500, "reference row 10 (~2200 CNY per tce/yr) scaled x2 for full kiln replacement (assumed)"),
    ("bm", "W"): (2500, "reference row 10 (Tongchuan 9 MW kiln WHR, ~2200 CNY per tce/yr); heat-reuse size from row 12 (Liling kiln heat reuse 30%->70%)"),
    ("cement", "W"): (2200, "reference row 10 (Tongchuan 5000 t/d, 9 MW pure low-temperature WHR: 5000万元, 22600 tce/yr, ~2200 CNY per tce/yr)"),
    ("chem", "L1"): (3000, "no chemical capex row; reference row 10 (~2200 CNY per tce/yr) scaled up (assumed)"),
    ("chem", "L2"): (4500, "no chemical capex row; reference rows 10 and 17 (~2200-6700 CNY per tce/yr) used as range (assumed)"),
    ("chem", "W"): (3000, "no chemical capex row; reference row 10 (~2200 CNY per tce/yr) scaled up (assumed)"),
    ("caustic", "L2"): (None, "saving calibrated on reference row 14 (zero-gap membrane cell, ~252 kWh per t NaOH); capex assumed ~250 CNY per t capacity (no reference row)"),
}
FIXED_L2 = {"steel": 60, "petrochemical": 250, "building_materials": 400}  # CNY per tce/yr of line energy use
PAYBACK = {"kiln": (3, 6), "waste_heat": (3, 6), "process": (2.5, 5), "electric_furnace": (4, 7),
           "fuel_switch": (8, 20), "solar_rooftop": (5, 7)}
LIFE = {"kiln": 15, "waste_heat": 20, "process": 15, "electric_furnace": 20, "fuel_switch": 15,
        "solar_rooftop": 25}


def build():
    fac_rows, prj_rows = [], []
    for fid, name, sector, prod, cap, r, district, note in FAC:
        if prod == "converter" and not INCLUDE_CONVERTERS:
            continue
        g = rng_for(fid)
        B, Z = float(products.at[prod, "benchmark"]), float(products.at[prod, "baseline"])
        span = Z - B
        r = r + g.uniform(-0.05, 0.05) if r > 0.05 else r
        ei0 = rnd_ei(B + r * span, prod)
        fam = family(prod)
        src_note = f"{TAG} invented line ({note}); capacity plausible per reference 04; intensity invented"
        if fam == "ammonia":
            src_note = f"{TAG} invented ammonia plant: reference 04 found NO Fuzhou ammonia capacity; intensity invented"
        fac_rows.append(dict(facility_id=fid, name=name + ("" if "（示例）" in name else "（示例）"), sector=sector,
                             product=prod, capacity=cap, energy_intensity=ei0, district=district,
                             source=src_note))
        E0 = cap * abs(ei0) / 1000.0  # tce/yr
        ef = emission_factor(prod)
        n = [0]

        def add(pname, cat, capex, *, tce=None, co2=None, mwh=None, ei_after=None, group="", req="",
                retire=False, saving=None, life=None, year=2025, src=""):
            n[0] += 1
            pid = f"{fid}-P{n[0]:02d}"
            prj_rows.append(dict(
                project_id=pid, facility_id=fid, name=pname, category=cat, capex=round(capex, 1),
                co2_reduction=None if co2 is None else int(round(co2)),
                energy_saving_tce=None if tce is None else int(round(tce)),
                electricity_saving_mwh=None if mwh is None else int(round(mwh)),
                energy_intensity_after=ei_after, exclusive_group=group, requires=req,
                retire="true" if retire else "false",
                annual_saving=None if saving is None else round(saving, 1),
                lifetime_years=life, earliest_year=year, source=f"{TAG} {src}"))
            return pid

        def sector_key(level):
            if fam == "cement" and level == "W":
                return ("cement", "W")
            if fam == "coke" and level == "L2":
                return ("coke", "L2")
            if fam == "caustic" and level == "L2":
                return ("caustic", "L2")
            if sector == ST:
                return ("steel", level if level != "L3" else "L2")
            if sector == PC:
                return ("chem", level if level != "L3" else "L2")
            return ("bm", level if level != "L3" else "L2")

        def capex_for(tce, level, cat):
            key = sector_key(level)
            per, cite = CAL[key]
            if key == ("caustic", "L2"):
                capex = cap * 250 / 1e4 * g.lognormal(0, 0.15)
            else:
                capex = tce * per / 1e4 * g.lognormal(0, 0.2)
            if level == "L2":  # benchmark-level rebuilds also have a size-driven fixed part (assumed)
                capex += E0 * FIXED_L2[sector] / 1e4 * g.lognormal(0, 0.2)
                cite += " plus a fixed part of ~" + str(FIXED_L2[sector]) + " CNY per tce/yr of the line's energy use (assumed)"
            lo, hi = PAYBACK[cat]
            return capex, capex / g.uniform(lo, hi), cite

        def saving_of(ei_after):
            return cap * (ei0 - ei_after) / 1000.0

        tiers, l2, l3, chain = TPL[fam]
        group = f"{fid}-ALT"
        small = (fam == "tile" and cap < 1_000_000) or (fam == "sanitary" and cap < 4000)
        at_bench = ei0 <= B
        retire_src = (f"retire: capex = assumed demolition + compensation (not from a reference row); "
                      f"co2_reduction = annual emissions = capacity x energy_intensity x {ef:.3f} tCO2/tce")

        # ---- tier alternatives (same exclusive group) ----
        if not at_bench:
            # L1: partial retrofit; reaches just below baseline when worse than baseline
            if ei0 > Z:
                e1 = Z - g.uniform(0.05, 0.25) * span
            else:
                e1 = ei0 - g.uniform(0.3, 0.55) * (ei0 - B)
            e1 = rnd_ei(e1, prod)
            t1 = saving_of(e1)
            c1, s1, cite = capex_for(t1, "L1", tiers[1])
            add(tiers[0], tiers[1], c1, tce=t1, ei_after=e1, group=group, saving=s1, life=LIFE[tiers[1]],
                year=int(g.choice([2024, 2025])),
                src=f"level-1 alternative; capex calibrated on {cite}, lognormal noise")
            if not small:
                e2 = rnd_ei(B - g.uniform(0.0, 0.05) * span, prod)
                t2 = saving_of(e2)
                c2, s2, cite = capex_for(t2, "L2", l2[1])
                kw = {}
                if fam == "caustic":   # electricity saving -> CO2 at the Fujian grid factor
                    kw["co2"] = t2 / KGCE_PER_KWH * GRID_FJ
                add(l2[0], l2[1], c2, tce=t2, ei_after=e2, group=group, saving=s2, life=LIFE[l2[1]],
                    year=int(g.choice([2024, 2025])), **kw,
                    src=f"level-2 alternative reaching benchmark; capex calibrated on {cite}, lognormal noise"
                        + ("; co2_reduction = saved electricity (tce / 0.1229 kgce/kWh) x Fujian grid 0.4211 tCO2/MWh" if kw else ""))
        if l3 is not None and not small and (fam in ("ammonia", "cement") or g.random() < 0.25):
            e3 = rnd_ei(min(B, ei0) - g.uniform(0.08, 0.2) * span, prod)
            t3 = saving_of(e3)
            c3, s3, cite = capex_for(t3, "L3", l3[1])
            if fam == "ammonia":   # green H2 for ~15% of hydrogen: CO2 of that share of feed + saving
                share = g.uniform(0.04, 0.08)
                co2 = (share * cap * e3 / 1000.0 + t3) * ef
                c3 = share * cap * 0.6 * g.lognormal(0, 0.15)   # ~6000 CNY per t/yr NH3 substituted, assumed
                s3 = -share * cap * 0.05                       # green H2 dearer than coal: net cost, assumed
                src = (f"level-3 alternative (green hydrogen for ~{share:.0%} of H2); capex assumed ~6000 CNY per t/yr "
                       f"NH3 substituted (no reference row); co2_reduction = substituted share of feed energy + saving, at 2.660 tCO2/tce")
            elif fam == "cement":  # alternative fuels
                co2 = t3 * ef + 0.15 * cap * e3 / 1000.0 * ef
                src = (f"level-3 alternative (15% alternative fuels); capex calibrated on {cite}; co2_reduction = saving + "
                       f"15% of fuel energy treated as biogenic, at 2.660 tCO2/tce (assumed)")
            else:                  # coal gas -> natural gas: fuel part (~85%) of remaining energy changes factor
                co2 = t3 * COAL + 0.85 * cap * e3 / 1000.0 * (COAL - GAS)
                s3 = s3 - 0.85 * cap * e3 / 1000.0 * 0.05         # gas ~500 CNY/tce dearer, assumed
                src = (f"level-3 alternative (coal gas to natural gas + kiln retrofit); capex calibrated on {cite}; fuel switch "
                       f"scale cf. reference row 13 (Liling coal-to-gas); co2_reduction = saving x 2.660 + 85% of remaining "
                       f"energy x (2.660-1.626) tCO2/tce")
            add(l3[0], l3[1], c3, tce=t3, co2=co2, ei_after=e3, group=group, saving=s3, life=LIFE[l3[1]],
                year=int(g.choice([2025, 2026, 2027])), src=src)

        # ---- prerequisite chain: dedusting/process -> waste heat (additive to the tiers) ----
        if chain is not None and not small and not (fam == "tile" and g.random() < 0.45):
            if fam == "blast_furnace":
                dp = rnd_ei(g.uniform(2, 4), prod)
                dw = rnd_ei(50 * KGCE_PER_KWH * g.uniform(0.9, 1.1), prod)   # ~50 kWh/t HM
            else:
                dp = rnd_ei(g.uniform(0.02, 0.05) * abs(span), prod)
                dw = rnd_ei(g.uniform(0.12, 0.3) * abs(span), prod)
            ep = rnd_ei(ei0 - dp, prod)
            ew = rnd_ei(ep - dw, prod)
            tp, tw = saving_of(ep), cap * (ep - ew) / 1000.0
            # prerequisite: mostly an environmental project, capex ~30-60% of the WHR unit
            if fam == "blast_furnace":
                kwh = cap * 50 * g.uniform(0.9, 1.1) / 1000.0        # MWh/yr
                cw = kwh * 1000 * 0.88 / 1e4 * g.lognormal(0, 0.15)   # 0.88 CNY per kWh/yr
                cite = CAL[("bf", "W")][1]
            else:
                cw, _, cite = capex_for(tw, "W", "waste_heat")
            sw = cw / g.uniform(*PAYBACK["waste_heat"])
            cp = cw * g.uniform(0.3, 0.6)
            pp = add(chain[0], chain[1], cp, tce=tp, ei_after=ep, saving=cp / g.uniform(8, 15), life=15,
                     year=2024, src="prerequisite (dedusting/process) of the waste-heat unit; capex assumed 30-60% of that unit")
            add(chain[2], chain[3], cw, tce=tw, ei_after=ew, req=pp, saving=sw, life=20,
                year=int(g.choice([2024, 2025])),
                src=f"requires the prerequisite on the same line; energy_intensity_after includes it; capex calibrated on {cite}")

        # ---- extra process project on some big lines when already at benchmark ----
        if at_bench:
            e4 = rnd_ei(ei0 - g.uniform(0.05, 0.12) * abs(span), prod)
            t4 = saving_of(e4)
            c4, s4, cite = capex_for(t4, "L1", "process")
            add("能源管控中心+系统优化", "process", c4, tce=t4, ei_after=e4, saving=s4, life=10, year=2025,
                src=f"line already at benchmark; capex calibrated on {cite}")

        # ---- efficient motors (electricity only, intensity unchanged) on some large lines ----
        if E0 > 20_000 and g.random() < 0.25:
            mwh = E0 * g.uniform(0.004, 0.012) / KGCE_PER_KWH
            cm = mwh * 1.5 / 10 * g.lognormal(0, 0.2)    # ~1.5 CNY per kWh/yr, assumed
            add("高效电机及变频系统改造", "process", cm, mwh=mwh, saving=mwh * ELEC_PRICE, life=15,
                year=int(g.choice([2024, 2025, 2026])),
                src="electricity saving only (energy_intensity_after blank); capex ~1.5 CNY per kWh/yr assumed (no reference row)")

        # ---- rooftop solar (no reference row: 3.5 CNY/W, 1100 kWh/kW/yr assumed) ----
        if not small or g.random() < 0.3:
            mw = float(np.clip(E0 / 30000 * g.uniform(0.5, 1.5), 0.3, 3))
            sizes = [mw] + ([mw * 1.6] if g.random() < 0.3 else [])
            pv_group = f"{fid}-PV" if len(sizes) > 1 else ""
            for k, s in enumerate(sizes):
                s = round(s, 1)
                mwh = s * 1100 * g.uniform(0.95, 1.05)
                add(f"屋顶分布式光伏 {s} MW" + ("（全屋顶方案）" if k else ""), "solar_rooftop",
                    s * 350 * g.lognormal(0, 0.08), mwh=mwh, group=pv_group, saving=mwh * ELEC_PRICE,
                    life=25, year=int(g.choice([2024, 2025, 2026])),
                    src="no reference row for solar: capex ~3.5 CNY/W and ~1100 kWh/kW/yr assumed; energy_intensity_after blank")

        # ---- retire ----
        if small or fid in RETIRE_EXTRA:
            key = "tile" if fam == "tile" else prod
            cr = cap * RETIRE_COST[key] * g.uniform(0.8, 1.2)
            add("淘汰关停（拆除+补偿）", "retire", cr, co2=E0 * ef, group=group if not at_bench else "",
                retire=True, year=2025 if not small else int(g.choice([2024, 2025])),
                src=retire_src + ("; line below the plan's minimum size" if small else ""))
    return pd.DataFrame(fac_rows), pd.DataFrame(prj_rows)


# --------------------------------------------------------------------------------------------
def check(fac: pd.DataFrame, prj: pd.DataFrame) -> None:
    """Print, per target, today's value and the best achievable one, plus a rough cost to meet all."""
    fac = fac.set_index("facility_id")
    prj = prj.copy()
    prj["ei_after"] = pd.to_numeric(prj["energy_intensity_after"], errors="coerce")
    pid = prj.set_index("project_id")
    total = prj["capex"].sum()
    print(f"facilities {len(fac)}, projects {len(prj)}, total capex {total:,.0f} 万元 (= {total / 1e4:.1f} 亿元)")
    print("categories:", prj["category"].value_counts().to_dict())

    def route_cost(fid, level, year):
        """cheapest capex on facility fid reaching `level` (incl. prerequisites); None if impossible."""
        best = None
        for _, p in prj[(prj.facility_id == fid) & (prj.earliest_year <= year)].iterrows():
            if pd.notna(p.ei_after) and p.ei_after <= level:
                c = p.capex + sum(pid.at[q, "capex"] for q in str(p.requires).split(";") if q and q != "nan")
                best = c if best is None else min(best, c)
        return best

    need_total = 0.0
    taken = {}  # facility -> capex already committed toward benchmark/baseline
    order = targets.sort_values("kind", key=lambda s: s.map({"min_line_capacity": 0, "baseline_all": 1}).fillna(2))
    print()
    for _, t in order.iterrows():
        prods = t.products.split(";")
        f = fac[fac["product"].isin(prods)]
        if t.kind == "min_line_capacity":
            small = f[f.capacity < t.value]
            has = [i for i in small.index if ((prj.facility_id == i) & (prj.retire == "true")).any()]
            cost = sum(prj[(prj.facility_id == i) & (prj.retire == "true")].capex.min() for i in small.index)
            need_total += cost
            for i in small.index:
                taken[i] = "retired"
            print(f"{t.target_id}: lines below {t.value:,.0f}: {len(small)}; with a retire project: {len(has)}; "
                  f"mandatory retire capex {cost:,.0f} 万元")
            continue
        f = f[~f.index.isin([k for k, v in taken.items() if v == "retired"])]
        bench = products.loc[f["product"], "benchmark"].to_numpy()
        base = products.loc[f["product"], "baseline"].to_numpy()
        w = f.capacity * (f.energy_intensity.abs() / 1000.0 if t.weight == "energy" else 1.0)
        if t.kind == "baseline_all":
            worse = f[f.energy_intensity.to_numpy() > base]
            cost, unc = 0.0, []
            for i in worse.index:
                c = route_cost(i, products.at[f.at[i, "product"], "baseline"], t.year)
                r = prj[(prj.facility_id == i) & (prj.retire == "true")].capex
                opts = [x for x in [c, r.min() if len(r) else None] if x is not None]
                if not opts:
                    unc.append(i)
                    continue
                cost += min(opts)
                taken[i] = "baseline"
            need_total += cost
            print(f"{t.target_id}: worse than baseline today: {len(worse)} ({', '.join(worse.index)}); "
                  f"without a route to baseline or retire: {len(unc)}; cheapest fix {cost:,.0f} 万元")
            continue
        at = f.energy_intensity.to_numpy() <= bench
        today = w[at].sum() / w.sum()
        routes = {i: route_cost(i, b, t.year) for i, b in zip(f.index, bench)}
        reach = np.array([a or routes[i] is not None for i, a in zip(f.index, at)])
        best = w[reach].sum() / w.sum()
        # greedy: cheapest capex per unit of weight until the target share is reached
        cand = sorted((routes[i] / w[i], i) for i, a in zip(f.index, at) if not a and routes[i] is not None)
        share, cost = today, 0.0
        for _, i in cand:
            if share >= t.value:
                break
            share += w[i] / w.sum()
            cost += routes[i]
        need_total += cost
        print(f"{t.target_id}: share today {today:.1%}; max achievable {best:.1%} "
              f"(required >= {t.value:.0%}); greedy capex to reach it {cost:,.0f} 万元")
    print(f"\nrough capex to meet all targets (greedy, no project shared between targets): "
          f"{need_total:,.0f} 万元 = {need_total / total:.0%} of all candidate capex")


def main():
    fac, prj = build()
    OUT.mkdir(parents=True, exist_ok=True)
    cols_f = ["facility_id", "name", "sector", "product", "capacity", "energy_intensity", "district", "source"]
    cols_p = ["project_id", "facility_id", "name", "category", "capex", "co2_reduction", "energy_saving_tce",
              "electricity_saving_mwh", "energy_intensity_after", "exclusive_group", "requires", "retire",
              "annual_saving", "lifetime_years", "earliest_year", "source"]
    for c in ("co2_reduction", "energy_saving_tce", "electricity_saving_mwh", "lifetime_years"):
        prj[c] = prj[c].astype("Int64")
    fac[cols_f].to_csv(OUT / "facilities.csv", index=False, encoding="utf-8", lineterminator="\n")
    prj[cols_p].to_csv(OUT / "projects.csv", index=False, encoding="utf-8", lineterminator="\n")
    check(fac, prj)


if __name__ == "__main__":
    main()
