"""Every label of the app in Chinese and English, and number formatting.

One dict key -> {"zh": ..., "en": ...}; :func:`t` picks the language chosen
in the sidebar (radio key ``language``). ``{placeholders}`` are filled from
keyword arguments.
"""

from __future__ import annotations

import math
import re

import streamlit as st

#: Language code -> its name in the radio.
LANGUAGES = {"zh": "中文", "en": "English"}
#: Session key of the chosen language (kept by ui.session; read here so labels need no import of it).
LANGUAGE_KEY = "lang"

TEXT: dict[str, dict[str, str]] = {
    # app and navigation
    "app_title": {"zh": "工业节能降碳改造项目组合优化", "en": "Retrofit portfolio optimizer"},
    "page_overview": {"zh": "概览", "en": "Overview"},
    "page_projects": {"zh": "项目清单", "en": "Projects"},
    "page_optimize": {"zh": "优化", "en": "Optimize"},
    "page_frontier": {"zh": "有效前沿", "en": "Frontier"},
    "page_scenarios": {"zh": "情景", "en": "Scenarios"},
    "page_method": {"zh": "方法与来源", "en": "Method"},
    "language": {"zh": "语言 / Language", "en": "Language / 语言"},
    "dataset": {"zh": "数据集", "en": "Dataset"},
    "illustrative": {
        "zh": "⚠️ 示例数据（ILLUSTRATIVE）：设施、能耗与项目均为虚构，仅用于演示，请勿作为福州实际数据引用。",
        "en": "⚠️ ILLUSTRATIVE data: the facilities, energy intensities and projects are invented for "
              "demonstration; do not quote them as Fuzhou data.",
    },
    "store_error_title": {"zh": "无法打开数据库", "en": "The database cannot be opened"},
    "new_database": {"zh": "从示例数据新建数据库", "en": "Start a new database from the sample"},
    "new_database_done": {"zh": "已新建数据库：{path}", "en": "New database started: {path}"},
    "no_dataset": {"zh": "数据库中没有数据集。", "en": "The database holds no dataset."},
    # login, roles and team data
    "single_user_mode": {"zh": "单用户模式：未配置登录，本机用户可做所有操作。", "en": "Single-user mode: no login is configured; this computer's user may do everything."},
    "login_title": {"zh": "登录", "en": "Log in"},
    "login_intro": {"zh": "此应用由多人共用，请先登录。", "en": "This app is shared: log in first."},
    "login_name": {"zh": "用户名", "en": "User name"},
    "login_password": {"zh": "密码", "en": "Password"},
    "login_button": {"zh": "登录", "en": "Log in"},
    "login_oidc_button": {"zh": "通过单位账号登录（OpenID Connect）", "en": "Log in with your organisation's account (OpenID Connect)"},
    "login_bad": {"zh": "用户名或密码不正确。", "en": "Wrong user name or password."},
    "login_locked": {"zh": "连续失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试或联系管理员。", "en": "Too many failed attempts: the account is locked for a while. Try again in {minutes} minutes or ask an admin."},
    "login_throttled": {"zh": "登录尝试过于频繁，请稍候一分钟再试。", "en": "Too many login attempts: wait a minute and try again."},
    "login_no_users": {"zh": "已启用密码登录，但数据库中还没有账号；管理员请在服务器上运行 `python -m storage users add`。", "en": "Password login is on but the database has no account yet; an admin runs `python -m storage users add` on the server."},
    "login_disabled": {"zh": "账号“{name}”已停用，请联系管理员。", "en": "The account “{name}” is disabled; ask an admin."},
    "session_expired": {"zh": "登录已过期，请重新登录。", "en": "Your session has expired: log in again."},
    "logged_in_as": {"zh": "👤 {name} · {role} · 团队 {team}", "en": "👤 {name} · {role} · team {team}"},
    "logout": {"zh": "退出登录", "en": "Log out"},
    "role_viewer": {"zh": "查看者", "en": "viewer"},
    "role_analyst": {"zh": "分析员", "en": "analyst"},
    "role_admin": {"zh": "管理员", "en": "admin"},
    "no_team": {"zh": "无", "en": "none"},
    "store_error_admin": {"zh": "多人模式下不提供一键新建数据库；请管理员在服务器上处理该文件。", "en": "With logins, no one can start a new database from here; an admin deals with the file on the server."},
    "deleted_scenarios": {"zh": "已删除的情景（可恢复）", "en": "Deleted scenarios (can be restored)"},
    "restore_scenario": {"zh": "恢复所选情景", "en": "Restore the chosen scenario"},
    "restored_scenario": {"zh": "已恢复情景“{name}”。", "en": "Scenario “{name}” restored."},
    "deleted_scenario": {"zh": "已删除情景“{name}”，可在下方“已删除的情景”中恢复。", "en": "Scenario “{name}” deleted; it can be restored below under “Deleted scenarios”."},
    "col_team": {"zh": "团队", "en": "Team"},
    "col_deleted_at": {"zh": "删除时间", "en": "Deleted at"},
    "col_deleted_by": {"zh": "删除者", "en": "Deleted by"},
    "col_saved_by": {"zh": "保存者", "en": "Saved by"},
    "page_admin": {"zh": "用户与审计", "en": "Users and audit"},
    "admin_intro": {"zh": "账号、团队与每一次写入的记录（谁、何时、做了什么）。", "en": "Accounts, teams and the record of every write (who, when, what)."},
    "audit_log": {"zh": "审计日志", "en": "Audit log"},
    "users_header": {"zh": "账号", "en": "Accounts"},
    "users_single": {"zh": "单用户模式没有账号。添加第一个账号（在服务器上运行 `python -m storage users add NAME --role admin`）后即启用密码登录。", "en": "Single-user mode has no accounts. Adding the first one (run `python -m storage users add NAME --role admin` on the server) turns password login on."},
    "user_add": {"zh": "添加账号", "en": "Add an account"},
    "user_change": {"zh": "修改账号", "en": "Change an account"},
    "user_pick": {"zh": "账号", "en": "Account"},
    "user_role": {"zh": "角色", "en": "Role"},
    "user_team": {"zh": "团队（分析员必填）", "en": "Team (analysts need one)"},
    "user_oidc_only": {"zh": "仅通过 OpenID Connect 登录（无密码）", "en": "Logs in through OpenID Connect only (no password)"},
    "user_new_password": {"zh": "新密码（留空则不修改）", "en": "New password (blank: unchanged)"},
    "user_disabled": {"zh": "停用或启用", "en": "Disable or enable"},
    "user_disable": {"zh": "停用", "en": "Disable"},
    "user_enable": {"zh": "启用", "en": "Enable"},
    "user_unlock": {"zh": "解除锁定", "en": "Unlock"},
    "user_save": {"zh": "保存", "en": "Save"},
    "user_saved": {"zh": "已保存账号“{name}”。", "en": "Account “{name}” saved."},
    "user_need_team": {"zh": "分析员需要团队。", "en": "An analyst needs a team."},
    # units
    "wan": {"zh": "万元", "en": "10k CNY (万元)"},
    "t_per_yr": {"zh": "吨CO₂/年", "en": "tCO₂/yr"},
    # overview
    "overview_intro": {"zh": "当前数据集的设施、产能、目标现状与候选项目潜力。",
                       "en": "Facilities, capacity, where each target stands today and the potential of the candidate projects."},
    "n_facilities": {"zh": "设施数", "en": "Facilities"},
    "n_projects": {"zh": "候选项目数", "en": "Candidate projects"},
    "co2_most": {"zh": "最大可达减排量（吨CO₂/年）", "en": "Most CO₂ reachable (t/yr)"},
    "capex_most": {"zh": "所需投资（万元）", "en": "Capex it takes (万元)"},
    "co2_most_help": {"zh": "不限预算、满足全部启用目标时可达到的最大年减排量；互斥方案只计一个，不把全部项目简单相加。",
                      "en": "The most CO₂ a portfolio cuts per year with no budget limit while meeting every "
                            "target switched on; alternatives count once, projects are not simply added up."},
    "co2_most_none": {"zh": "在当前目标下，任何预算都无法满足全部目标；详见“优化”页的诊断。",
                      "en": "No budget meets every target switched on; the Optimize page says why."},
    "potential_co2": {"zh": "按行业和类别的减排潜力（各项目之和，含互斥方案）",
                      "en": "CO₂ potential by sector and category (sum of projects, alternatives included)"},
    "potential_capex": {"zh": "按行业和类别的投资（各项目之和，含互斥方案）",
                        "en": "Capex by sector and category (sum of projects, alternatives included)"},
    "potential_note": {"zh": "图中各项目简单相加，同一设施的互斥方案会重复计入；可实际达到的最大值见上方。",
                       "en": "These charts add projects up, so a facility's alternatives count more than once; "
                             "what can actually be reached is the figure above."},
    "capacity_by": {"zh": "按行业和产品的产能", "en": "Capacity by sector and product"},
    "targets_today": {"zh": "各目标现状与要求（未实施任何项目）", "en": "Each target today vs required (no project chosen)"},
    "potential_by": {"zh": "按行业和类别的减排潜力与投资", "en": "CO₂ potential and capex by sector and category"},
    # columns
    "col_sector": {"zh": "行业", "en": "Sector"},
    "col_product": {"zh": "产品", "en": "Product"},
    "col_unit": {"zh": "单位", "en": "Unit"},
    "col_capacity": {"zh": "产能（单位/年）", "en": "Capacity (unit/yr)"},
    "col_facilities": {"zh": "设施数", "en": "Facilities"},
    "col_category": {"zh": "类别", "en": "Category"},
    "col_co2": {"zh": "减排量（吨CO₂/年）", "en": "CO₂ cut (t/yr)"},
    "col_capex": {"zh": "投资（万元）", "en": "Capex (万元)"},
    "col_projects": {"zh": "项目数", "en": "Projects"},
    "col_target": {"zh": "目标", "en": "Target"},
    "col_before": {"zh": "现状", "en": "Today"},
    "col_after": {"zh": "实施后", "en": "After"},
    "col_required": {"zh": "要求", "en": "Required"},
    "col_met": {"zh": "是否达标", "en": "Met"},
    "col_enabled": {"zh": "启用", "en": "On"},
    "col_value": {"zh": "目标值", "en": "Value"},
    "col_kind": {"zh": "类型", "en": "Kind"},
    "col_id": {"zh": "编号", "en": "ID"},
    "col_name": {"zh": "名称", "en": "Name"},
    "col_facility": {"zh": "设施", "en": "Facility"},
    "col_ratio": {"zh": "吨CO₂/万元", "en": "tCO₂ per 万元"},
    "col_price": {"zh": "该目标的代价（吨CO₂/年）", "en": "Price of the target (tCO₂/yr)"},
    "col_without": {"zh": "关闭该目标时的减排量", "en": "CO₂ cut without it"},
    "col_budget": {"zh": "预算（万元）", "en": "Budget (万元)"},
    "col_status": {"zh": "状态", "en": "Status"},
    "col_mac_co2": {"zh": "MAC曲线法减排量", "en": "MAC pick CO₂"},
    "col_opt_co2": {"zh": "优化减排量", "en": "Optimum CO₂"},
    "col_broken": {"zh": "MAC曲线法未达标的目标", "en": "Targets broken by the MAC pick"},
    "col_shortfall": {"zh": "MAC曲线法少减排量", "en": "MAC shortfall (t/yr)"},
    "col_source": {"zh": "来源", "en": "Source"},
    "col_energy_intensity": {"zh": "单位产品综合能耗（kgce/单位）", "en": "Energy intensity (kgce/unit)"},
    "col_intensity_after": {"zh": "改造后单位产品能耗", "en": "Intensity after"},
    "col_district": {"zh": "区县", "en": "District"},
    "col_energy_saving": {"zh": "节能量（吨标煤/年）", "en": "Energy saving (tce/yr)"},
    "col_electricity_saving": {"zh": "节电量（MWh/年）", "en": "Electricity saving (MWh/yr)"},
    "col_group": {"zh": "互斥组", "en": "Exclusive group"},
    "col_requires": {"zh": "前置项目", "en": "Requires"},
    "col_retire": {"zh": "淘汰", "en": "Retire"},
    "col_annual_saving": {"zh": "年节约费用（万元）", "en": "Annual saving (万元)"},
    "col_lifetime": {"zh": "寿命（年）", "en": "Lifetime (years)"},
    "col_earliest_year": {"zh": "最早年份", "en": "Earliest year"},
    "col_value_meaning": {"zh": "数值含义", "en": "Value is"},
    "col_abatement_cost": {"zh": "减排成本（元/吨CO₂）", "en": "Abatement cost (CNY/tCO₂)"},
    "col_payback": {"zh": "回收期（年）", "en": "Payback (years)"},
    "col_fuel": {"zh": "节约燃料", "en": "Fuel"},
    "col_lead_time": {"zh": "建设周期（年）", "en": "Lead time (years)"},
    "col_co2_low": {"zh": "减排量下限", "en": "CO₂ cut low"},
    "col_co2_high": {"zh": "减排量上限", "en": "CO₂ cut high"},
    "yes": {"zh": "✅ 达标", "en": "✅ met"},
    "no": {"zh": "❌ 未达标", "en": "❌ not met"},
    "category_kiln": {"zh": "窑炉改造", "en": "Kiln"},
    "category_waste_heat": {"zh": "余热利用", "en": "Waste heat"},
    "category_electric_furnace": {"zh": "电炉", "en": "Electric furnace"},
    "category_solar_rooftop": {"zh": "屋顶光伏", "en": "Rooftop solar"},
    "category_process": {"zh": "工艺改造", "en": "Process"},
    "category_fuel_switch": {"zh": "燃料替代", "en": "Fuel switch"},
    "category_retire": {"zh": "淘汰", "en": "Retirement"},
    "status_name_optimal": {"zh": "最优", "en": "optimal"},
    "status_name_feasible": {"zh": "可行（未证明最优）", "en": "feasible (not proven optimal)"},
    "status_name_infeasible": {"zh": "无可行组合", "en": "infeasible"},
    "status_name_no_solution": {"zh": "未找到组合", "en": "no solution"},
    "status_name_unbounded": {"zh": "无界", "en": "unbounded"},
    "status_name_error": {"zh": "求解出错", "en": "error"},
    "field_budget": {"zh": "预算", "en": "budget"},
    "field_co2_goal": {"zh": "减排目标", "en": "CO₂ goal"},
    "field_time_limit": {"zh": "时间上限", "en": "time limit"},
    "field_gap": {"zh": "最优性差距", "en": "optimality gap"},
    "field_margin": {"zh": "裕量", "en": "margin"},
    "field_discount_rate": {"zh": "折现率", "en": "discount rate"},
    "field_objective": {"zh": "优化目标", "en": "objective"},
    "field_solver": {"zh": "求解器", "en": "solver"},
    "notice_clamped": {"zh": "链接或情景中的{field} {value} 超出允许范围，已调整为 {new}。",
                       "en": "The {field} {value} from the link or scenario is out of range; set to {new}."},
    "notice_unknown": {"zh": "无法识别的{field}“{value}”，已使用默认值。",
                       "en": "Unknown {field} '{value}'; the default is used."},
    "notice_unknown_target": {"zh": "当前数据集没有目标“{target}”，已忽略该设置。",
                              "en": "This dataset has no target '{target}'; its setting is ignored."},
    "notice_target_clamped": {"zh": "目标“{target}”的数值 {value} 超出范围，已调整为 {new}。",
                              "en": "Target '{target}': {value} is out of range; set to {new}."},
    "notice_unknown_dataset": {"zh": "没有名为“{value}”的数据集，已打开默认数据集。",
                               "en": "There is no dataset '{value}'; the default dataset is open."},
    "queued": {"zh": "排队中：第 {position} 位", "en": "Queued: position {position}"},
    "error_box": {"zh": "页面出错了。请刷新页面重试；如仍出错，请把错误编号 {error_id} 告诉管理员。",
                  "en": "This page hit an error. Reload to try again; if it persists, give the administrator "
                        "error id {error_id}."},
    "sector_petrochemical": {"zh": "石化化工", "en": "Petrochemical"},
    "sector_steel": {"zh": "钢铁", "en": "Steel"},
    "sector_building_materials": {"zh": "建材", "en": "Building materials"},
    # projects page
    "projects_intro": {"zh": "浏览与筛选设施和改造项目；上传自己的项目清单。",
                       "en": "Browse and filter facilities and retrofit projects; upload your own project list."},
    "filter_sector": {"zh": "行业", "en": "Sector"},
    "filter_category": {"zh": "项目类别", "en": "Project category"},
    "filter_text": {"zh": "搜索（编号或名称）", "en": "Search (id or name)"},
    "facilities": {"zh": "设施", "en": "Facilities"},
    "projects": {"zh": "改造项目", "en": "Retrofit projects"},
    "edit_projects": {"zh": "编辑项目（校验后另存为新数据集）", "en": "Edit projects (checked, saved as a new dataset)"},
    "edit_save_name": {"zh": "另存为数据集名称", "en": "Save as dataset name"},
    "edit_save": {"zh": "校验并保存", "en": "Check and save"},
    "set_log_aside": {"zh": "将损坏的日志移到一旁并打开数据库", "en": "Set the damaged log aside and open the database"},
    "versions_header": {"zh": "数据版本", "en": "Data versions"},
    "versions_help": {"zh": "每次导入或保存都会生成新版本，旧版本全部保留，可比较或恢复。",
                      "en": "Every import or save is a new version; old versions are all kept, to compare or restore."},
    "col_version": {"zh": "版本", "en": "Version"},
    "col_saved_at": {"zh": "保存时间（UTC）", "en": "Saved at (UTC)"},
    "col_source_file": {"zh": "来源文件", "en": "Source file"},
    "col_data_hash": {"zh": "数据指纹（SHA-256）", "en": "Data hash (SHA-256)"},
    "col_table": {"zh": "表", "en": "Table"},
    "col_key": {"zh": "编号", "en": "Key"},
    "col_change": {"zh": "变化", "en": "Change"},
    "col_columns": {"zh": "变化的列", "en": "Columns changed"},
    "col_old_value": {"zh": "原值", "en": "Old value"},
    "col_new_value": {"zh": "新值", "en": "New value"},
    "version_added": {"zh": "新增", "en": "added"},
    "version_removed": {"zh": "删除", "en": "removed"},
    "version_changed": {"zh": "修改", "en": "changed"},
    "version_old": {"zh": "旧版本", "en": "Older version"},
    "version_new": {"zh": "新版本", "en": "Newer version"},
    "version_no_change": {"zh": "两个版本的数据相同。", "en": "The two versions hold the same data."},
    "version_restore": {"zh": "恢复此版本", "en": "Restore this version"},
    "version_restored": {"zh": "已恢复版本 {old}，保存为新版本 {new}。", "en": "Version {old} restored as new version {new}."},
    "edit_saved": {"zh": "已保存为数据集“{name}”。", "en": "Saved as dataset '{name}'."},
    "upload_header": {"zh": "上传项目清单", "en": "Upload a project list"},
    "upload_help": {"zh": "支持 .xlsx 工作簿、.csv 文件或包含 CSV 的 .zip（上限 50 MB）。",
                    "en": "An .xlsx workbook, a .csv file or a .zip of CSV files (at most 50 MB)."},
    "upload_file": {"zh": "选择文件", "en": "Choose a file"},
    "upload_name": {"zh": "数据集名称", "en": "Dataset name"},
    "upload_button": {"zh": "校验并导入", "en": "Check and import"},
    "upload_ok": {"zh": "已导入数据集“{name}”：{facilities} 个设施，{projects} 个项目。",
                  "en": "Imported dataset '{name}': {facilities} facilities, {projects} projects."},
    "upload_failed": {"zh": "文件有 {n} 个问题，未导入任何数据：", "en": "The file has {n} problem(s); nothing was imported:"},
    "upload_need": {"zh": "请选择文件并填写数据集名称。", "en": "Choose a file and give the dataset a name."},
    "download_template": {"zh": "下载空白模板（xlsx）", "en": "Download the blank template (xlsx)"},
    "download_dataset": {"zh": "下载当前数据集（xlsx）", "en": "Download this dataset (xlsx)"},
    "import_log": {"zh": "导入记录", "en": "Import log"},
    # optimize page
    "optimize_intro": {"zh": "在预算内选择减排最多且满足规划目标的项目组合。",
                       "en": "Choose the portfolio that cuts the most CO₂ within the budget while meeting the plans' targets."},
    "budget_slider": {"zh": "预算（万元）", "en": "Budget (万元)"},
    "as_of_year": {"zh": "投运年份（在此年前投运，按此年考核目标）", "en": "In service by (targets judged in this year)"},
    "as_of_caption": {"zh": "本组合在 {year} 年前投运（项目自 {first} 年起开工），各目标按 {year} 年的要求考核；"
                            "{late} 个项目无法在 {year} 年前投运，未参与选择。",
                      "en": "This portfolio is in service by {year} (work from {first}); targets are judged as they "
                            "stand in {year}; {late} project(s) cannot be in service by then and were not eligible."},
    "as_of_year_help": {"zh": "项目自 {first} 年起可开工；只选能在此年前投运的项目（最早年份 + 建设周期），目标按此年的要求考核，早于此年的目标标为已逾期。",
                        "en": "Work may start from {first}; only projects in service by this year (earliest year + lead "
                              "time) are chosen, and targets are judged as they stand in it (earlier ones are overdue)."},
    "budget_input": {"zh": "精确预算（万元）", "en": "Exact budget (万元)"},
    "objective": {"zh": "优化目标", "en": "Objective"},
    "objective_co2": {"zh": "预算内减排最多", "en": "Most CO₂ within the budget"},
    "objective_cost": {"zh": "达到减排目标的最少投资", "en": "Least capex for a CO₂ goal"},
    "co2_goal": {"zh": "减排目标（吨CO₂/年）", "en": "CO₂ goal (t/yr)"},
    "targets_header": {"zh": "规划目标（可关闭或修改数值）", "en": "Plan targets (switch off or edit the value)"},
    "targets_help": {"zh": "比例类目标填写 0–1（60% 填 0.6）；小产能淘汰目标填写产能门槛。",
                     "en": "Shares as 0–1 (60 % is 0.6); for small-line elimination the capacity threshold."},
    "solver_settings": {"zh": "求解器设置", "en": "Solver settings"},
    "solver": {"zh": "求解器", "en": "Solver"},
    "time_limit": {"zh": "时间上限（秒）", "en": "Time limit (s)"},
    "gap": {"zh": "允许的最优性差距", "en": "Allowed optimality gap"},
    "results": {"zh": "结果", "en": "Result"},
    "kpi_co2": {"zh": "减排量（吨CO₂/年）", "en": "CO₂ cut (t/yr)"},
    "kpi_spend": {"zh": "投资（万元）", "en": "Spend (万元)"},
    "kpi_left": {"zh": "剩余预算（万元）", "en": "Budget left (万元)"},
    "kpi_ratio": {"zh": "吨CO₂/万元", "en": "tCO₂ per 万元"},
    "kpi_gap": {"zh": "已证明的最优性差距", "en": "Proven gap"},
    "kpi_projects": {"zh": "入选项目数", "en": "Projects chosen"},
    "status_optimal": {"zh": "已证明最优（在允许差距内）。", "en": "Proven optimal (within the allowed gap)."},
    "status_feasible": {"zh": "时间上限内找到可行组合，未证明最优；差距 {gap}。",
                        "en": "Feasible portfolio found within the time limit, not proven optimal; gap {gap}."},
    "status_no_solution": {"zh": "求解器在时间上限内未找到可行组合：{message}。请放宽时间上限。",
                           "en": "The solver found no portfolio within the time limit: {message}. Allow more time."},
    "status_other": {"zh": "求解失败：{status} {message}", "en": "The solve failed: {status} {message}"},
    "infeasible": {"zh": "没有满足全部目标的项目组合。", "en": "No portfolio meets every target."},
    "use_least_budget": {"zh": "采用满足全部目标的最少预算（{budget} 万元）",
                         "en": "Use the least budget that meets every target ({budget} 万元)"},
    "previous_result": {"zh": "以下是上一次的结果（预算 {budget} 万元），不是当前输入的结果；当前输入没有可行组合。",
                        "en": "Below: the previous result (budget {budget} 万元), not a result for the inputs "
                              "on screen, which have no feasible portfolio."},
    "budget_max_help": {"zh": "最高 {budget} 万元（全部项目的投资之和，更高预算不会再增加减排）。",
                        "en": "At most {budget} 万元 (every project's capex; a higher budget buys nothing more)."},
    "targets_result": {"zh": "目标：现状 → {year} 年实施后 对比 要求", "en": "Targets: today → after, in {year}, vs required"},
    "chosen_projects": {"zh": "入选项目", "en": "Chosen projects"},
    "charts": {"zh": "图表", "en": "Charts"},
    "mac_curve": {"zh": "边际减排曲线（按每万元减排量排序，宽度为减排量）",
                  "en": "MAC curve (projects by tCO₂ per 万元, width = CO₂ cut)"},
    "share_chart": {"zh": "各目标标杆/基准比例与要求", "en": "Share per target vs required"},
    "sector_chart": {"zh": "按行业和类别的减排量", "en": "CO₂ cut by sector and category"},
    "prices_button": {"zh": "计算每个目标的代价", "en": "Price of each target"},
    "prices_help": {"zh": "关闭该目标时可多减排的量（当前预算下）。",
                    "en": "How much more CO₂ could be cut at this budget with that target switched off."},
    "download_csv": {"zh": "下载组合（CSV）", "en": "Download portfolio (CSV)"},
    "download_xlsx": {"zh": "下载组合（XLSX）", "en": "Download portfolio (XLSX)"},
    "chosen": {"zh": "入选", "en": "chosen"},
    "not_chosen": {"zh": "未入选", "en": "not chosen"},
    "cum_co2": {"zh": "累计减排量（吨CO₂/年）", "en": "Cumulative CO₂ cut (t/yr)"},
    "share": {"zh": "比例", "en": "Share"},
    "series": {"zh": "系列", "en": "Series"},
    # frontier
    "frontier_intro": {"zh": "不同预算下满足目标的最大减排量，与MAC曲线法（按单位减排成本，忽略目标）和贪心法（先满足目标）对比。",
                       "en": "The most CO₂ each budget buys while meeting the targets, beside the MAC pick (abatement-cost "
                             "order, ignores the targets) and the greedy (targets first)."},
    "budget_low": {"zh": "最低预算（万元）", "en": "Lowest budget (万元)"},
    "budget_high": {"zh": "最高预算（万元）", "en": "Highest budget (万元)"},
    "points": {"zh": "点数", "en": "Points"},
    "compute": {"zh": "计算", "en": "Compute"},
    "computing": {"zh": "计算中 {i}/{n}", "en": "Computing {i}/{n}"},
    "frontier_chart": {"zh": "减排量与预算", "en": "CO₂ cut vs budget"},
    "optimum": {"zh": "优化（满足目标）", "en": "Optimum (meets targets)"},
    "mac_pick": {"zh": "MAC曲线（按单位减排成本，忽略目标）", "en": "MAC pick (abatement-cost order, ignores targets)"},
    "greedy_pick": {"zh": "贪心法（先满足目标，再按MAC）", "en": "Greedy (targets first, then MAC order)"},
    "current_budget": {"zh": "当前预算", "en": "current budget"},
    "frontier_none": {"zh": "在 {high} 万元以内，没有任何预算能满足全部启用的目标。",
                      "en": "No budget up to {high} 万元 meets every target switched on."},
    "frontier_least": {"zh": "满足全部目标的最少预算为 {budget} 万元，请提高“最高预算”。",
                       "en": "The least budget that meets them all is {budget} 万元: raise the highest budget."},
    "frontier_table": {"zh": "各预算结果与MAC曲线法未达标的目标", "en": "Each budget, and the targets the MAC pick breaks"},
    # scenarios
    "scenarios_intro": {"zh": "保存当前设置与结果，并对比多个情景。", "en": "Save the current settings and result, and compare scenarios."},
    "scenario_name": {"zh": "情景名称", "en": "Scenario name"},
    "save_scenario": {"zh": "保存当前情景", "en": "Save the current scenario"},
    "saved": {"zh": "已保存情景“{name}”。", "en": "Scenario '{name}' saved."},
    "need_name": {"zh": "请填写情景名称。", "en": "Give the scenario a name."},
    "need_result": {"zh": "当前设置没有可行组合，仍将保存（状态：{status}）。",
                    "en": "The current settings have no feasible portfolio; saved anyway (status: {status})."},
    "current_settings": {"zh": "当前设置", "en": "Current settings"},
    "saved_scenarios": {"zh": "已保存的情景", "en": "Saved scenarios"},
    "no_scenarios": {"zh": "尚无已保存的情景。", "en": "No scenario saved yet."},
    "compare": {"zh": "对比情景（第一个为参照）", "en": "Compare scenarios (the first is the reference)"},
    "compare_kpis": {"zh": "关键指标", "en": "Key figures"},
    "compare_targets": {"zh": "目标（实施后）", "en": "Targets (after)"},
    "added": {"zh": "相对“{ref}”新增的项目", "en": "Projects added vs '{ref}'"},
    "dropped": {"zh": "相对“{ref}”去掉的项目", "en": "Projects dropped vs '{ref}'"},
    "none": {"zh": "无", "en": "none"},
    "load_scenario": {"zh": "载入该情景的设置", "en": "Load this scenario's settings"},
    "loaded": {"zh": "已载入情景“{name}”的设置。", "en": "Settings of scenario '{name}' loaded."},
    "delete_scenario": {"zh": "删除情景", "en": "Delete scenario"},
    "scenario_pick": {"zh": "情景", "en": "Scenario"},
    "deleted": {"zh": "已删除情景“{name}”。", "en": "Scenario '{name}' deleted."},
    "saved_at": {"zh": "保存时间", "en": "Saved at"},
    # method
    "method_intro": {"zh": "如何选择项目组合，以及每个默认值的来源。", "en": "How the portfolio is chosen, and where every default comes from."},
    "method_words_title": {"zh": "通俗说明", "en": "In plain words"},
    "method_words": {
        "zh": "每个候选改造项目要么入选、要么不入选。优化器在所有可能的组合中，找出在预算之内年减排量最大的组合，"
              "同时满足规划中的每一个目标：合成氨、烧碱、钢铁、陶瓷等行业达到能效标杆水平的产能比例，钢铁全部产能达到基准水平，"
              "以及淘汰小产能陶瓷生产线。同一设施的互斥方案最多选一个；有前置条件的项目须与其前置项目一同入选；"
              "被淘汰的设施不再计入比例。求解器（HiGHS 或 CBC）会证明结果与理论最优之间的差距。"
              "与之对比的“MAC曲线法”按单位减排成本（元/吨CO₂）从低到高依次选取项目（可在互斥方案间逐级升级），简单但忽略目标；"
              "“贪心法”先买满足目标所需的项目，再按MAC顺序用完预算。",
        "en": "Each candidate retrofit is either funded or not. Among all combinations the optimizer finds the one "
              "that cuts the most CO₂ per year within the budget while meeting every target of the plans: the share "
              "of ammonia, caustic-soda, steel and ceramics capacity at the benchmark level, all steel at baseline, and "
              "small ceramic lines eliminated. At most one of a facility's alternative projects is chosen; a project "
              "comes with its prerequisites; a retired facility no longer counts in the shares. The solver (HiGHS or "
              "CBC) proves how far the answer can be from the best possible. It is compared with the MAC pick, which "
              "funds projects in abatement-cost order (CNY/tCO₂, stepping up between alternatives): simple, but blind "
              "to the targets; and with a greedy that first buys what the targets need, then fills the budget in MAC "
              "order.",
    },
    "method_formulation": {"zh": "数学模型", "en": "Formulation"},
    "method_symbols": {
        "zh": "$x_p\\in\\{0,1\\}$：是否实施项目 $p$；$c_p$ 投资（万元），$e_p$ 年减排量（吨CO₂）；$B$ 预算；"
              "$F_T$ 目标 $T$ 覆盖的设施，$w_f$ 权重（产能或能耗），$b_f$ 设施 $f$ 是否达到标杆水平，$r_f$ 是否被淘汰，$s_T$ 要求的比例；"
              "$G$ 互斥方案组，$(p,q)$ 前置关系。",
        "en": "$x_p\\in\\{0,1\\}$: fund project $p$; $c_p$ capex (万元), $e_p$ annual CO₂ cut (t); $B$ the budget; "
              "$F_T$ the facilities a target $T$ covers, $w_f$ their weight (capacity or energy use), $b_f$ facility $f$ "
              "at benchmark, $r_f$ retired, $s_T$ the required share; $G$ groups of alternatives, $(p,q)$ prerequisites.",
    },
    "method_sources": {"zh": "默认值的来源", "en": "Sources of the defaults"},
    "products_csv": {"zh": "产品能效标杆与基准水平（products.csv）", "en": "Benchmark and baseline levels (products.csv)"},
    "targets_csv": {"zh": "规划目标（targets.csv）", "en": "Plan targets (targets.csv)"},
    "factors_csv": {"zh": "排放因子（emission_factors.csv）", "en": "Emission factors (emission_factors.csv)"},
    "factors_used": {"zh": "当前使用：电网 {grid}（{grid_value} 吨CO₂/MWh），燃料 {fuel}（{fuel_value} 吨CO₂/吨标煤）。",
                     "en": "In use: grid {grid} ({grid_value} tCO₂/MWh), fuel {fuel} ({fuel_value} tCO₂/tce)."},
}


def language() -> str:
    """'zh' or 'en', as chosen in the sidebar or the link (default 中文)."""
    value = st.session_state.get(LANGUAGE_KEY)
    return value if value in LANGUAGES else "zh"


def t(key: str, **values: object) -> str:
    """The label ``key`` in the chosen language, with ``{placeholders}`` filled.

    Every text value filled in is escaped for markdown: labels, notices and
    messages all render it, and a value may be user text (a dataset, scenario
    or facility name) that must not become a link or a remote image.
    """
    entry = TEXT.get(key)
    if entry is None:
        return key
    text = entry.get(language()) or entry["en"]
    if not values:
        return text
    return text.format(**{k: escape_markdown(v) if isinstance(v, str) else v for k, v in values.items()})


def escape_markdown(text: str) -> str:
    """User text inside markdown: no links, images, HTML or emphasis of its own."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", text)


def num(value: object, digits: int = 0) -> str:
    """A number with thousands separators; '—' for missing."""
    if value is None:
        return "—"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "—"
    return f"{number:,.{digits}f}"


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value * 100:.{digits}f}%"


def sector_name(sector: str) -> str:
    return t(f"sector_{sector}") if f"sector_{sector}" in TEXT else str(sector)


def target_name(name_en: str, name_zh: str, target_id: str = "") -> str:
    name = name_zh if language() == "zh" else name_en
    return name or name_en or name_zh or target_id


def category_name(category: object) -> str:
    """A project category in the chosen language; a category of the user's own stays as written."""
    if category is None or (isinstance(category, float) and not math.isfinite(category)):
        return "—"
    return t(f"category_{category}") if f"category_{category}" in TEXT else str(category)


def status_name(status: object) -> str:
    """A solver status (optimal, feasible, infeasible, ...) in the chosen language."""
    return t(f"status_name_{status}") if f"status_name_{status}" in TEXT else ("—" if status is None else str(status))


def field_name(field: str) -> str:
    """A settings field (budget, gap, ...) as the user knows it."""
    return t(f"field_{field}") if f"field_{field}" in TEXT else field


# --- assumptions, the new accounting, the meeting pack, the comparators and the method ---
TEXT.update({
    "assumptions": {"zh": "假设与口径", "en": "Assumptions"},
    "assumptions_help": {"zh": "以下设置随链接、情景和导出文件一同保存。",
                         "en": "These settings travel with the link, the scenarios and every downloaded file."},
    "margin": {"zh": "合规裕量（百分点）", "en": "Compliance margin (share points)"},
    "margin_help": {"zh": "加到每个标杆比例目标上的百分点，避免结果恰好落在 30% 等门槛上，数据稍有误差即不达标。",
                    "en": "Share points added to every benchmark-share target, so the answer does not sit exactly "
                          "on 30 % where one wrong intensity flips compliance."},
    "order_capex_in_budget": {"zh": "按规定淘汰产线的投资计入预算", "en": "Closures by order are paid from the budget"},
    "order_capex_help": {"zh": "规划要求淘汰的小产能产线若列有淘汰项目，其投资默认计入预算；关闭后在预算之外。",
                         "en": "A listed retirement row of a line the plans close is paid from the budget; "
                               "switch off to keep it outside."},
    "grid_factor_id": {"zh": "电网排放因子", "en": "Grid emission factor"},
    "grid_custom": {"zh": "自定义数值", "en": "A value of my own"},
    "grid_factor": {"zh": "电网排放因子数值（吨CO₂/MWh）", "en": "Grid factor (tCO₂/MWh)"},
    "grid_factor_help": {"zh": "修改数值即改为自定义因子。", "en": "Editing the value makes it your own factor."},
    "fuel_factors": {"zh": "燃料排放因子（吨CO₂/吨标煤）", "en": "Fuel emission factors (tCO₂/tce)"},
    "fuel_coal": {"zh": "煤", "en": "Coal"},
    "fuel_natural_gas": {"zh": "天然气", "en": "Natural gas"},
    "fuel_coke": {"zh": "焦炭", "en": "Coke"},
    "fuel_oil": {"zh": "燃料油", "en": "Oil"},
    "discount_rate": {"zh": "折现率（%）", "en": "Discount rate (%)"},
    "discount_rate_help": {"zh": "用于减排成本、回收期与MAC排序。", "en": "For abatement costs, payback and the MAC order."},
    "field_grid_factor_id": {"zh": "电网排放因子", "en": "grid factor"},
    "field_grid_factor": {"zh": "电网排放因子数值", "en": "grid factor value"},
    "field_fuel_factors": {"zh": "燃料排放因子", "en": "fuel factor"},
    "kpi_technical": {"zh": "技术减排（改造，吨CO₂/年）", "en": "Technical CO₂ (retrofits, t/yr)"},
    "kpi_structural": {"zh": "结构减排（淘汰，吨CO₂/年）", "en": "Structural CO₂ (closures, t/yr)"},
    "kpi_energy": {"zh": "节能量（吨标煤/年）", "en": "Energy saved (tce/yr)"},
    "closures_header": {"zh": "按规定淘汰的产线", "en": "Lines closed by order"},
    "closures_help": {"zh": "规划要求淘汰的产线在优化之前即关闭，不占用其他项目，也不再计入任何比例。",
                      "en": "Lines the plans order closed are closed before optimizing: they take no other project "
                            "and leave every share."},
    "col_threshold": {"zh": "淘汰门槛", "en": "Threshold"},
    "col_retirement_rows": {"zh": "淘汰项目", "en": "Retirement rows"},
    "col_reason": {"zh": "原因", "en": "Reason"},
    "intensity_header": {"zh": "各产品单位产品能耗：改造前 → 改造后", "en": "Each product's energy intensity: before → after"},
    "intensity_help": {"zh": "在产产能加权平均，按各产品自身单位。",
                       "en": "Capacity-weighted over the running lines, in each product's own unit."},
    "col_int_before": {"zh": "改造前", "en": "Before"},
    "col_int_after": {"zh": "改造后", "en": "After"},
    "col_int_unit": {"zh": "能耗单位", "en": "Unit"},
    "col_capacity_after": {"zh": "改造后在产产能", "en": "Capacity running after"},
    "closest_header": {"zh": "预算内最接近目标的组合", "en": "The closest portfolio within the budget"},
    "closest_summary": {"zh": "减排 {co2} 吨CO₂/年，投资 {spend} 万元，{n} 个项目；各目标缺口合计 {short} 个百分点（红色为未达标）。",
                        "en": "{co2} tCO₂/yr for {spend} 万元, {n} projects; short of the targets by {short} share "
                              "points in all (red: not met)."},
    "closest_projects": {"zh": "最接近的组合中的 {n} 个项目", "en": "The {n} projects of the closest portfolio"},
    "col_shortfall_pts": {"zh": "缺口（百分点）", "en": "Shortfall (points)"},
    "download_closest_csv": {"zh": "下载最接近的组合（CSV）", "en": "Download the closest portfolio (CSV)"},
    "download_closest_xlsx": {"zh": "下载最接近的组合（XLSX）", "en": "Download the closest portfolio (XLSX)"},
    "meeting_pack": {"zh": "会议材料（PPTX）", "en": "Meeting pack (PPTX)"},
    "meeting_pack_pdf": {"zh": "会议材料（PDF）", "en": "Meeting pack (PDF)"},
    "meeting_pack_help": {"zh": "点击后生成幻灯片（含有效前沿，约需十余秒）。",
                          "en": "Built when clicked (with the frontier; takes a few seconds)."},
    "frontier_comparators": {"zh": "各方法对比：减排量、投资、比优化少减排、未达标的目标",
                             "en": "Each method: CO₂, spend, shortfall against the optimum, targets broken"},
    "col_method": {"zh": "方法", "en": "Method"},
    "col_spend": {"zh": "投资（万元）", "en": "Spend (万元)"},
    "col_short_vs_opt": {"zh": "比优化少减排（吨CO₂/年）", "en": "Less than the optimum (tCO₂/yr)"},
    "col_broken_targets": {"zh": "未达标的目标", "en": "Targets broken"},
    "frontier_advantage": {"zh": "在贪心法也满足全部目标的预算下，优化比贪心法最多多减排 {most} 吨CO₂/年"
                                 "（多 {share}，预算 {budget} 万元），平均多减排 {mean} 吨CO₂/年。",
                           "en": "Where the greedy also meets every target, the optimizer cuts up to {most} tCO₂/yr "
                                 "more ({share} more, at {budget} 万元), {mean} tCO₂/yr more on average."},
    "frontier_no_greedy": {"zh": "在所选预算范围内，贪心法在任何预算下都未能满足全部目标。",
                           "en": "In this range the greedy meets every target at no budget."},
    "method_accounting_title": {"zh": "核算规则", "en": "Accounting rules"},
    "method_accounting": {
        "zh": "- **减排与节能可相加**：项目对设施的作用是其单位能耗的*降幅*（改造前 − 改造后，空白为 0）；同一设施入选项目的降幅"
              "与其减排量一样直接相加，设施在 `能耗 − Σ降幅 ≤ 水平` 时即达到标杆（或基准）。两个部分改造可共同达标；"
              "若两行不可叠加（同一改造的不同方案），须在清单中设为互斥组。\n"
              "- **负降幅**：使能耗升高的项目（如碳捕集、部分燃料替代）按其符号计入：已达标杆的设施可能因此跌出比例。\n"
              "- **按规定淘汰**：产能低于规划淘汰门槛的产线在优化之前即关闭，不再计入任何比例，也不再选择其他项目；"
              "若清单列有其淘汰项目，则按规定选中，投资默认计入预算（可在“假设与口径”中改为预算外）；未列出时零成本关闭、不计减排。\n"
              "- **淘汰按净额计减排**：减排量空白的淘汰项目只计 `产能 × (能耗 − 标杆) / 1000` 吨标煤乘以燃料因子，"
              "因为其产量转移到标杆水平的产线；给定的减排量按原值使用。\n"
              "- **结构减排与技术减排**：淘汰带来的为结构减排，改造带来的为技术减排，分别报告；节能量以吨标煤/年报告，"
              "并给出各产品改造前后的单位产品能耗。\n"
              "- **合规裕量**：加到每个标杆比例目标上的百分点（默认 0），避免结果恰好落在门槛上。\n"
              "- **最接近的组合**：预算不足以满足全部目标时，除给出满足全部目标的最少预算外，还给出预算内最接近目标的组合："
              "各目标缺口（百分点）之和最小，其次减排最多，并列出每个目标的缺口。\n"
              "- **燃料与电力因子**：`节能量（吨标煤）` 只计燃料，按该行 `燃料`（空白为煤）的因子换算；节电量只计入 "
              "`节电量（MWh）`，按电网因子换算；燃料填“电力”的行视为重复计算而拒收。各因子与折现率均可在“假设与口径”中修改，"
              "并记录在每个导出文件中。",
        "en": "- **Reductions add up**: a project's effect on its facility is its intensity *reduction* (before − after, "
              "blank = 0); the reductions of the chosen projects on one facility add up exactly as their CO₂ does, and "
              "a facility is at benchmark (or baseline) when `intensity − Σ reductions ≤ level`. Two partial retrofits "
              "can reach benchmark together; rows that are not additive (variants of one retrofit) must be "
              "alternatives in an exclusive group.\n"
              "- **Negative reductions**: projects that raise intensity (carbon capture, some fuel switches) count with "
              "their sign: a plant at benchmark that takes one may fall out of the share.\n"
              "- **Closures by order**: a line below the plans' elimination threshold is closed before optimizing; it "
              "leaves every share and takes no other project. A listed retirement row for it is chosen by order and "
              "paid from the budget (the Assumptions can keep it outside); with none listed the line closes at no cost "
              "and no CO₂ credit.\n"
              "- **Net closure credit**: a retirement row with a blank CO₂ cut is credited "
              "`capacity × (intensity − benchmark) / 1000` tce times its fuel's factor, since its output moves to "
              "plants at benchmark; a given CO₂ cut is used as given.\n"
              "- **Structural and technical**: CO₂ from closures (structural) and from retrofits (technical) is "
              "reported apart; energy saved in tce/yr, and each product's intensity before and after.\n"
              "- **Compliance margin**: share points added to every benchmark-share target (default 0), so the "
              "answer does not sit exactly on the threshold.\n"
              "- **Closest portfolio**: when the budget cannot meet every target, besides the least budget that meets "
              "them all, the portfolio within the budget with the least total shortfall (share points summed over the "
              "targets), then the most CO₂, with each target's shortfall.\n"
              "- **Fuel and electricity factors**: `energy_saving_tce` counts fuel only, converted with the factor of "
              "the row's `fuel` (coal when blank); electricity goes in `electricity_saving_mwh` only, converted with "
              "the grid factor; a row naming electricity as its fuel is refused as double counting. Every factor and "
              "the discount rate are settings under Assumptions, recorded in every file.",
    },
})


# --- the Roadmap and Alternatives pages ------------------------------------------
TEXT.update({
    "page_roadmap": {"zh": "路线图", "en": "Roadmap"},
    "roadmap_intro": {"zh": "多年路线图：在逐年预算内，哪个项目在哪一年投运，各项目标何时达到。",
                      "en": "The multi-year roadmap: which project goes into service in which year within "
                            "the yearly budgets, and when each target is met."},
    "horizon_first": {"zh": "起始年份", "en": "First year"},
    "horizon_last": {"zh": "结束年份", "en": "Last year"},
    "overdue_deadline": {"zh": "逾期目标完成年份", "en": "Overdue deadline"},
    "overdue_deadline_help": {"zh": "年份早于起始年份的目标（如 2025 年目标）须从该年起满足。",
                              "en": "Targets dated before the first year (the 2025 milestones) must hold "
                                    "from this year on."},
    "carry_over": {"zh": "结余资金可结转", "en": "Carry unspent money over"},
    "carry_over_help": {"zh": "开启后，累计支出不超过累计预算即可。", "en": "On: spend to date ≤ budget to date."},
    "budget_all_years": {"zh": "统一年度预算（万元/年）", "en": "One budget for every year (万元/yr)"},
    "budget_all_years_help": {"zh": "一次把规划期每年的预算设为同一数值；也可在右表逐年修改。",
                              "en": "Sets every year of the horizon to this figure; edit single years in "
                                    "the table."},
    "col_year": {"zh": "年份", "en": "Year"},
    "col_start_year": {"zh": "开工年份", "en": "Build starts"},
    "col_in_service": {"zh": "投运年份", "en": "In service"},
    "col_deadline": {"zh": "完成期限", "en": "Deadline"},
    "col_first_met": {"zh": "首次达标年份", "en": "First year met"},
    "col_last_value": {"zh": "{year} 年水平", "en": "Level in {year}"},
    "col_missed_years": {"zh": "未达标年份", "en": "Years missed"},
    "col_year_value": {"zh": "该年水平", "en": "Level that year"},
    "col_note": {"zh": "说明", "en": "Note"},
    "col_earliest": {"zh": "最早可达标年份", "en": "Earliest year it can be met"},
    "kpi_co2_cumulative": {"zh": "规划期累计减排（吨CO₂）", "en": "CO₂ cut over the horizon (t)"},
    "kpi_run_rate": {"zh": "{year} 年年减排（吨CO₂/年）", "en": "Annual CO₂ cut in {year} (t/yr)"},
    "kpi_spend_total": {"zh": "总投资（万元）", "en": "Total spend (万元)"},
    "kpi_years": {"zh": "规划期", "en": "Horizon"},
    "kpi_shortfall": {"zh": "合计差距（百分点）", "en": "Total shortfall (share points)"},
    "gantt_header": {"zh": "项目进度（甘特图）", "en": "Schedule (Gantt)"},
    "gantt_chart": {"zh": "按设施的建设期（浅色）与投运年份（深色）",
                    "en": "Build years (light) and in-service year (dark) by facility"},
    "gantt_help": {"zh": "浅色条为建设期（投资在此期间平均支付），深色块为投运年份。",
                   "en": "The light bar is the build (capex paid evenly over it), the dark block the "
                         "in-service year."},
    "in_service_counts": {"zh": "各年投运项目数：{counts}", "en": "Projects entering service: {counts}"},
    "year_count": {"zh": "{year} 年 {n} 项", "en": "{year}: {n}"},
    "no_projects_scheduled": {"zh": "在当前预算下没有安排任何项目。", "en": "No project is scheduled at these budgets."},
    "schedule_table": {"zh": "项目进度表（{n} 项）", "en": "Schedule table ({n} projects)"},
    "spend_chart": {"zh": "逐年支出与预算（红线为预算）", "en": "Spend per year against the budget (red)"},
    "co2_by_year_chart": {"zh": "逐年减排量（按行业）", "en": "CO₂ cut per year by sector"},
    "targets_by_year_chart": {"zh": "各目标逐年水平（虚线为要求，▼为完成期限）",
                              "en": "Each target over the years (dashed: required; ▼: deadline)"},
    "cannot_fit_header": {"zh": "无法纳入规划期的项目（{n} 项）", "en": "Projects that cannot fit the horizon ({n})"},
    "closed_by_order": {"zh": "依规关停的产线（年份）：{lines}", "en": "Lines closed by order (year): {lines}"},
    "download_roadmap_xlsx": {"zh": "下载路线图工作簿（xlsx）", "en": "Download the roadmap workbook (xlsx)"},
    "download_roadmap_csv": {"zh": "下载项目进度表（CSV）", "en": "Download the schedule (CSV)"},
    "roadmap_optimal": {"zh": "已求得路线图，已证明的最优性差距 {gap}。",
                        "en": "Roadmap found, proven within {gap} of the best."},
    "roadmap_settings_bad": {"zh": "路线图设置有误，未求解：", "en": "The roadmap settings cannot be solved:"},
    "roadmap_infeasible": {"zh": "在当前逐年预算与完成期限下，无法按期满足全部目标。",
                           "en": "The targets cannot all be met in time with these yearly budgets and deadlines."},
    "roadmap_solving": {"zh": "正在求解路线图……", "en": "Solving the roadmap…"},
    "diagnosing": {"zh": "正在分析原因（逐个目标求最早达标年份，可能需要较长时间）……",
                   "en": "Finding out why (the earliest year of each target; this may take a while)…"},
    "missed_header": {"zh": "哪个目标在哪一年未达标（最接近的路线图）",
                      "en": "Which target misses in which year (closest roadmap)"},
    "line_not_retired": {"zh": "产线 {line} 无法按期淘汰", "en": "line {line} cannot be retired in time"},
    "earliest_header": {"zh": "各目标最早可达标年份", "en": "The earliest year each target can be met"},
    "not_in_horizon": {"zh": "规划期内无法达到", "en": "not within the horizon"},
    "roadmap_closest_header": {"zh": "最接近目标的路线图", "en": "The closest roadmap"},
    "previous_roadmap": {"zh": "以下为上一次的路线图（对应之前的设置），不是当前设置的结果。",
                         "en": "Below is the previous roadmap (for earlier settings), not the answer to the "
                               "settings on screen."},
    "previous_roadmap_solving": {"zh": "正在求解新的路线图；以下为上一次的路线图（对应之前的设置）。",
                                 "en": "Solving the new roadmap; below is the previous one (for earlier settings)."},
    "field_horizon_start": {"zh": "起始年份", "en": "first year"},
    "field_horizon_end": {"zh": "结束年份", "en": "last year"},
    "field_overdue_deadline": {"zh": "逾期目标完成年份", "en": "overdue deadline"},
    "field_budgets_per_year": {"zh": "年度预算", "en": "yearly budget"},
    # alternatives
    "page_alternatives": {"zh": "备选方案", "en": "Alternatives"},
    "alternatives_intro": {"zh": "与最优组合减排相差不超过给定比例的多个组合（预算 {budget} 万元、当前目标）：哪些项目必选、"
                                 "哪些可替换；预算削减时先砍哪些；组合达标的把握有多大。",
                           "en": "Several portfolios within a slack of the best CO₂ cut (budget {budget} 万元, the "
                                 "targets on screen): which projects are indispensable, which can be swapped, what "
                                 "to cut first, and how sure the portfolio is to meet the targets."},
    "alt_count": {"zh": "备选方案个数", "en": "Number of alternatives"},
    "alt_slack": {"zh": "允许减排低于最优（%）", "en": "Slack below the best CO₂ (%)"},
    "alt_slack_help": {"zh": "每个备选组合的减排量不低于最优的 (1 − 该比例)。",
                       "en": "Each alternative cuts at least (1 − slack) of the best CO₂."},
    "alt_solving": {"zh": "正在求解……", "en": "Solving…"},
    "alt_none": {"zh": "没有满足目标的组合（{status}）。可恢复已排除的项目或调整预算。",
                 "en": "No portfolio meets the targets ({status}). Restore excluded projects or change the budget."},
    "alt_found": {"zh": "找到的组合数", "en": "Portfolios found"},
    "alt_message": {"zh": "求解说明：{message}", "en": "Note: {message}"},
    "alt_matrix": {"zh": "项目 × 备选方案", "en": "Projects × alternatives"},
    "alt_name": {"zh": "方案{i}", "en": "Alt {i}"},
    "col_alternative": {"zh": "方案", "en": "Alternative"},
    "col_vs_best": {"zh": "较最优", "en": "vs best"},
    "col_distance": {"zh": "与此前方案的最少差异项数", "en": "Fewest changed choices vs earlier"},
    "col_label": {"zh": "标签", "en": "Label"},
    "col_exclude": {"zh": "排除", "en": "Exclude"},
    "label_must_have": {"zh": "必选", "en": "must-have"},
    "label_swappable": {"zh": "可替换", "en": "swappable"},
    "label_never": {"zh": "从未入选", "en": "never"},
    "exclude_help": {"zh": "勾选“排除”即把该项目移出并重新求解（例如业主反对该项目）。",
                     "en": "Tick “Exclude” to leave a project out and re-solve (say its owner objects)."},
    "excluded_list": {"zh": "已排除：{projects}", "en": "Excluded: {projects}"},
    "restore_all": {"zh": "全部恢复", "en": "Restore all"},
    "never_count": {"zh": "另有 {n} 个项目在任何方案中均未入选。", "en": "{n} other projects are in no alternative."},
    "download_alternatives": {"zh": "下载备选方案（xlsx）", "en": "Download the alternatives (xlsx)"},
    "cut_first_header": {"zh": "预算削减时先砍哪些项目", "en": "What to cut first when the budget shrinks"},
    "cut_first_button": {"zh": "计算削减 10%/20%/30% 时的组合", "en": "Compute the portfolios at −10/−20/−30 %"},
    "cut_nested": {"zh": "各级组合相互嵌套：下表可作为一个优先顺序阅读。",
                   "en": "Every smaller portfolio is nested in the larger one: read the list as one priority order."},
    "cut_not_nested": {"zh": "并非各级都嵌套（嵌套的代价超过最优性差距）：削减后会有项目替换进入。",
                       "en": "Not every level is nested (nesting would cost more than the gap): some projects "
                             "enter as others leave."},
    "col_cut": {"zh": "削减", "en": "Cut"},
    "col_nested": {"zh": "嵌套", "en": "Nested"},
    "col_leaves": {"zh": "移出的项目", "en": "Projects that leave"},
    "col_enters": {"zh": "新进入的项目", "en": "Projects that enter"},
    "yes_plain": {"zh": "是", "en": "yes"},
    "no_plain": {"zh": "否", "en": "no"},
    "mc_header": {"zh": "蒙特卡洛：当前组合达标的概率", "en": "Monte Carlo: how likely the portfolio meets the targets"},
    "mc_draws": {"zh": "抽样次数", "en": "Draws"},
    "mc_no_portfolio": {"zh": "当前设置下没有组合（见“优化”页）。", "en": "The settings on screen have no portfolio (see Optimize)."},
    "mc_caption": {"zh": "{draws} 次抽样，随机种子 {seed}（结果可复现）。",
                   "en": "{draws} draws, seed {seed} (reproducible)."},
    "col_p_met": {"zh": "达标概率", "en": "P(met)"},
    "kpi_p_all": {"zh": "全部目标达标概率", "en": "P(every target met)"},
    "kpi_p10": {"zh": "减排 P10（吨/年）", "en": "CO₂ cut P10 (t/yr)"},
    "kpi_p50": {"zh": "减排 P50（吨/年）", "en": "CO₂ cut P50 (t/yr)"},
    "kpi_p90": {"zh": "减排 P90（吨/年）", "en": "CO₂ cut P90 (t/yr)"},
    "robust_header": {"zh": "稳健组合与“把握的代价”", "en": "The robust pick and the price of confidence"},
    "robust_probability": {"zh": "要求的达标概率", "en": "Required probability"},
    "robust_button": {"zh": "求稳健组合（较慢）", "en": "Find the robust portfolio (slow)"},
    "robust_help": {"zh": "样本平均近似：在带种子的抽样下，以不低于给定概率满足全部目标，并用新抽样检验。",
                    "en": "Sample-average approximation over seeded draws, checked on fresh draws."},
    "robust_solving": {"zh": "正在求稳健组合……", "en": "Finding the robust portfolio…"},
    "robust_none": {"zh": "找不到满足该概率的组合（{status}）。", "en": "No portfolio reaches that probability ({status})."},
    "robust_caption": {"zh": "{scenarios} 个抽样情景，种子 {seed}；样本外概率用新抽样检验。",
                       "en": "{scenarios} scenarios, seed {seed}; out-of-sample figures on fresh draws."},
    "kpi_robust_co2": {"zh": "稳健组合减排（吨/年）", "en": "Robust pick CO₂ (t/yr)"},
    "kpi_det_co2": {"zh": "确定性最优减排（吨/年）", "en": "Deterministic optimum CO₂ (t/yr)"},
    "kpi_price_confidence": {"zh": "把握的代价（少减排 吨/年）", "en": "Price of confidence (t/yr given up)"},
    "kpi_in_sample": {"zh": "样本内达标概率", "en": "In-sample P(all met)"},
    "kpi_out_sample": {"zh": "样本外达标概率", "en": "Out-of-sample P(all met)"},
    "kpi_det_out_sample": {"zh": "确定性最优的样本外达标概率", "en": "Deterministic pick, out-of-sample"},
})


# --- decisions under doubt, finished: downloads, the robust pick's reach, the roadmap's Monte Carlo ---
TEXT.update({
    "notice_unknown_excluded": {"zh": "当前数据集没有这些被排除的项目，已忽略：{projects}。",
                                "en": "This dataset has no excluded project(s) {projects}; they are ignored."},
    "download_cut_first": {"zh": "下载削减清单（CSV）", "en": "Download the cut-first list (CSV)"},
    "download_monte_carlo": {"zh": "下载蒙特卡洛结果（CSV）", "en": "Download the Monte Carlo (CSV)"},
    "download_robust": {"zh": "下载稳健组合（xlsx）", "en": "Download the robust pick (xlsx)"},
    "col_figure": {"zh": "指标", "en": "Figure"},
    "col_figure_value": {"zh": "数值", "en": "Value"},
    "col_in_deterministic": {"zh": "也在确定性最优中", "en": "Also in the deterministic optimum"},
    "mc_whole_portfolio": {"zh": "全部投运", "en": "all in service"},
    "robust_unreachable": {"zh": "没有组合能在 {p} 的抽样情景中同时满足全部目标。",
                           "en": "No portfolio meets every target in {p} of the scenarios."},
    "robust_reach_budget": {"zh": "在预算 {budget} 万元内最高可达 {within}；不限预算最高 {anywhere}。",
                            "en": "The most within the budget of {budget} 万元 is {within}; at any budget {anywhere}."},
    "robust_budget_needed": {"zh": "要达到 {p}，预算至少需 {budget} 万元。",
                             "en": "Reaching {p} needs a budget of {budget} 万元."},
    "robust_limiting": {"zh": "目标“{target}”单独也最多只能在 {p} 的情景中达标：按当前的节能量离散度，任何预算都达不到所要求的概率。",
                        "en": "Target '{target}' alone can be met in at most {p} of the scenarios: with the "
                              "present spreads of the savings no budget reaches the probability asked for."},
    "robust_fallback": {"zh": "下面给出可达到的最高概率 {p} 下的稳健组合。",
                        "en": "Below: the robust pick at the highest probability reachable, {p}."},
    "robust_nothing": {"zh": "在预算内没有任何组合能在任一情景中满足全部目标。",
                       "en": "Within the budget no portfolio meets every target in any scenario."},
    "roadmap_mc_header": {"zh": "蒙特卡洛：路线图各年达标的概率", "en": "Monte Carlo: how likely the roadmap meets each target, per year"},
    "roadmap_mc_caption": {"zh": "每个项目的节能量按其类别的离散度抽样（{draws} 次，种子 {seed}）；项目自投运年起计入。",
                           "en": "Each project's saving drawn from its category's spread ({draws} draws, seed {seed}); "
                                 "a project counts from its year in service."},
    "col_p_all": {"zh": "全部达标概率", "en": "P(every target met)"},
    "col_p10": {"zh": "减排 P10（吨/年）", "en": "CO₂ P10 (t/yr)"},
    "col_p50": {"zh": "减排 P50（吨/年）", "en": "CO₂ P50 (t/yr)"},
    "col_p90": {"zh": "减排 P90（吨/年）", "en": "CO₂ P90 (t/yr)"},
    "download_roadmap_mc": {"zh": "下载路线图蒙特卡洛（CSV）", "en": "Download the roadmap Monte Carlo (CSV)"},
})
