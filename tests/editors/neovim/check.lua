-- Checks the JSON file test.lua wrote, with Neovim's own JSON reader (no jq or python on a clean machine).
-- Run by run.sh:
--
--   PORTOS_NVIM_RESULT=result.json PORTOS_NVIM_CLI=cli.txt PORTOS_NVIM_NEXT=5591 \
--   PORTOS_NVIM_HOVER_PORT=5570 PORTOS_NVIM_HOVER_LABEL=api PORTOS_NVIM_CHECKS=checks.txt \
--     nvim --headless -u NONE -i NONE -c 'luafile tests/editors/neovim/check.lua'
--
-- PORTOS_NVIM_CLI holds `portos-lsp check --output-format concise`'s findings for the file, one
-- `LINE:COL SEVERITY CODE` a line. Writes one `ok - …` or `FAIL - …` line per check to PORTOS_NVIM_CHECKS
-- (run.sh counts them: Neovim's exit code is not trusted), then quits.

local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local checks = dofile(here .. '/checks.lua')
local check, read, severity_names = checks.check, checks.read, checks.severity_names

local function run()
  local text = read(os.getenv('PORTOS_NVIM_RESULT'))
  if not check(text ~= nil and text ~= '', 'test.lua wrote its result file', os.getenv('PORTOS_NVIM_RESULT')) then
    return
  end
  local parsed, result = pcall(vim.fn.json_decode, text)
  if not check(parsed and type(result) == 'table', 'the result file is JSON', tostring(result)) then
    return
  end
  local failures = result.failures or {}
  check(result.ok == true and #failures == 0, 'test.lua saw everything it waited for', table.concat(failures, '; '))

  -- Diagnostics: the editor shows what the command line finds, at the same places.
  local editor = {}
  for _, d in ipairs(result.diagnostics or {}) do
    editor[string.format('%d:%d %s %s', d.line, d.col, severity_names[d.severity] or '?', tostring(d.code))] = d
  end
  local cli = {}
  local cli_errors = 0
  for line in (read(os.getenv('PORTOS_NVIM_CLI')) or ''):gmatch('[^\n]+') do
    cli[line] = true
    if line:match(' error ') then
      cli_errors = cli_errors + 1
    end
  end
  check(cli_errors > 0, 'the command line finds at least one error in the file (the test needs one)')
  local cli_lines = vim.tbl_keys(cli)
  table.sort(cli_lines)
  for _, line in ipairs(cli_lines) do
    local d = editor[line]
    local shown = table.concat(vim.tbl_keys(editor), ', ')
    check(d ~= nil, 'Neovim shows ' .. line .. ' as `portos-lsp check` does', 'editor has: ' .. shown)
    if d then
      check(d.source == 'portos-lsp', line .. ' has source portos-lsp', tostring(d.source))
    end
  end
  local editor_lines = vim.tbl_keys(editor)
  table.sort(editor_lines)
  for _, line in ipairs(editor_lines) do
    check(cli[line], 'Neovim shows nothing the command line does not: ' .. line)
  end

  -- Hover on the port literal: its number and its label.
  local port = os.getenv('PORTOS_NVIM_HOVER_PORT') or '5570'
  local label = os.getenv('PORTOS_NVIM_HOVER_LABEL') or 'api'
  local hover = type(result.hover) == 'string' and result.hover or ''
  check(hover:find(port, 1, true) ~= nil, 'hover mentions port ' .. port, vim.inspect(hover))
  check(hover:find('`' .. label .. '`', 1, true) ~= nil, 'hover mentions the label `' .. label .. '`', vim.inspect(hover))

  -- Completion where a port is typed: the first item is a port number, the allocator's answer.
  local items = result.completion or {}
  local first = items[1] and items[1].label or ''
  local number = tonumber(first:match('^%d+$') or '')
  check(number ~= nil and number >= 1 and number <= 65535, 'completion\'s first item is a port number', vim.inspect(first))
  local next_port = os.getenv('PORTOS_NVIM_NEXT')
  if next_port and next_port ~= '' then
    check(first == next_port, 'completion\'s first item is `portos-lsp next`\'s answer ' .. next_port, vim.inspect(first))
  end
  check(items[1] ~= nil and items[1].preselect == true, 'completion preselects its first item')

  check(result.server_stopped == true, 'the servers exited on shutdown/exit')

  -- The snippet: the workspace root, and which files get which client.
  local root = os.getenv('PORTOS_NVIM_ROOT')
  if root then
    local what = 'the snippet\'s root for the shop app is ' .. root .. ' (it has portos-lsp.toml)'
    check(result.root_dir == root, what, vim.inspect(result.root_dir))
  end
  local snippet = result.snippet or {}
  check(snippet.same_workspace_same_client == true, 'a second ecosystem file of the workspace joins the running client')
  check(snippet.variant_new_client == true, 'ecosystem.prod.config.js elsewhere gets a client of its own')
  check(snippet.pm2_same_client == true, 'pm2.config.mjs beside it shares that client')
  check(snippet.other_js_no_client == true, 'server.js gets no client')
  check(snippet.yaml_same_client == true, "PM2's YAML file of the workspace joins the running client")

  -- The YAML file shows what the command line finds there, and nothing else.
  local yaml = {}
  for _, d in ipairs(result.yaml_diagnostics or {}) do
    yaml[string.format('%d:%d %s %s', d.line, d.col, severity_names[d.severity] or '?', tostring(d.code))] = true
  end
  local yaml_cli = {}
  for line in (read(os.getenv('PORTOS_NVIM_CLI_YAML')) or ''):gmatch('[^\n]+') do
    yaml_cli[line] = true
  end
  check(yaml_cli['7:13 error instances-port-clash'], 'the command line finds the YAML file\'s instances-port-clash')
  local yaml_lines = vim.tbl_keys(yaml)
  table.sort(yaml_lines)
  local cli_yaml_lines = vim.tbl_keys(yaml_cli)
  table.sort(cli_yaml_lines)
  check(
    vim.deep_equal(yaml_lines, cli_yaml_lines),
    'Neovim shows the YAML file\'s diagnostics as `portos-lsp check` does',
    'editor: ' .. table.concat(yaml_lines, ', ') .. '; check: ' .. table.concat(cli_yaml_lines, ', ')
  )
end

checks.finish(run, 'check.lua')
