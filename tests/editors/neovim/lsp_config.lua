-- Checks editors/neovim/lsp/portos_lsp.lua, the Neovim 0.11+ set-up, in any Neovim from 0.7 on: it loads as a
-- plain table (as `vim.lsp.config` reads lsp/<name>.lua) with the keys the README promises, and its root_dir
-- gives a root to ecosystem files only. Run by run.sh:
--
--   PORTOS_NVIM_SCRATCH=/tmp/dir PORTOS_NVIM_CHECKS=checks.txt \
--     nvim --headless -u NONE -i NONE -c 'luafile tests/editors/neovim/lsp_config.lua'
--
-- PORTOS_NVIM_SCRATCH is an empty directory outside any git repository (the test lays out workspaces in it).
-- Writes one `ok - …` or `FAIL - …` line per check to PORTOS_NVIM_CHECKS (run.sh counts them), then quits.

local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local repo = vim.fn.fnamemodify(here, ':h:h:h')
local path = repo .. '/editors/neovim/lsp/portos_lsp.lua'
local checks = dofile(here .. '/checks.lua')
checks.with_version()
local check = checks.check


local function touch(file)
  vim.fn.mkdir(vim.fn.fnamemodify(file, ':h'), 'p')
  local f = assert(io.open(file, 'w'))
  f:close()
end

-- What root_dir does for a buffer named `file`: the roots it passed to on_dir (none for a refused file).
local function roots_for(config, file)
  local bufnr = vim.api.nvim_create_buf(false, true)
  if file ~= '' then
    vim.api.nvim_buf_set_name(bufnr, file)
  end
  local roots = {}
  config.root_dir(bufnr, function(root)
    table.insert(roots, root)
  end)
  vim.api.nvim_buf_delete(bufnr, { force = true })
  return roots
end

local function run()
  local loaded, config = pcall(dofile, path)
  if not check(loaded and type(config) == 'table', 'lsp/portos_lsp.lua loads as a plain table', tostring(config)) then
    return
  end
  check(vim.deep_equal(config.cmd, { 'portos-lsp', 'serve' }), "its cmd is { 'portos-lsp', 'serve' }", vim.inspect(config.cmd))
  check(
    vim.deep_equal(config.filetypes, { 'javascript', 'json', 'jsonc', 'json5', 'yaml' }),
    "its filetypes are { 'javascript', 'json', 'jsonc', 'json5', 'yaml' }",
    vim.inspect(config.filetypes)
  )
  check(
    vim.deep_equal(config.root_markers, { 'portos-lsp.toml', '.portos-lsp.toml', '.git' }),
    "its root_markers are { 'portos-lsp.toml', '.portos-lsp.toml', '.git' }",
    vim.inspect(config.root_markers)
  )
  if not check(type(config.root_dir) == 'function', 'its root_dir is a function(bufnr, on_dir)', type(config.root_dir)) then
    return
  end
  local keys = vim.tbl_keys(config)
  table.sort(keys)
  check(#keys == 4, 'it sets cmd, filetypes, root_markers and root_dir, nothing else', table.concat(keys, ', '))

  -- Workspaces: one with portos-lsp.toml inside a git repository that has a nested .git lower down, one with
  -- .portos-lsp.toml, one with only .git, one with no marker at all.
  local scratch = vim.fn.fnamemodify(os.getenv('PORTOS_NVIM_SCRATCH') or vim.fn.tempname(), ':p'):gsub('/$', '')
  local mono = scratch .. '/mono'
  vim.fn.mkdir(mono .. '/.git', 'p')
  touch(mono .. '/ws/portos-lsp.toml')
  vim.fn.mkdir(mono .. '/ws/app/.git', 'p')
  touch(scratch .. '/dotted/.portos-lsp.toml')
  vim.fn.mkdir(scratch .. '/repo/.git', 'p')
  vim.fn.mkdir(scratch .. '/bare', 'p')

  local accepted = {
    { mono .. '/ws/app/ecosystem.config.cjs', mono .. '/ws', 'portos-lsp.toml above beats a nearer .git' },
    { mono .. '/ws/ecosystem.config.js', mono .. '/ws', 'portos-lsp.toml in its own directory' },
    { scratch .. '/dotted/api/ecosystem.config.mjs', scratch .. '/dotted', '.portos-lsp.toml' },
    { scratch .. '/repo/svc/ecosystem.prod.config.js', scratch .. '/repo', 'only .git' },
    { scratch .. '/repo/ecosystem.staging.eu.config.cjs', scratch .. '/repo', 'only .git' },
    { scratch .. '/repo/pm2.config.cjs', scratch .. '/repo', 'only .git' },
    { scratch .. '/bare/pm2.config.mjs', scratch .. '/bare', 'no marker: its own directory' },
    { scratch .. '/bare/pm2.config.js', scratch .. '/bare', 'no marker: its own directory' },
    { scratch .. '/repo/ecosystem.config.json', scratch .. '/repo', "PM2's JSON" },
    { scratch .. '/repo/ecosystem.json5', scratch .. '/repo', "PM2's JSON5" },
    { scratch .. '/repo/svc/ecosystem.yml', scratch .. '/repo', "PM2's YAML" },
    { scratch .. '/repo/pm2-apps.yaml', scratch .. '/repo', "PM2's YAML" },
    { scratch .. '/repo/process.json', scratch .. '/repo', 'process.json' },
    { scratch .. '/repo/processes.json', scratch .. '/repo', 'processes.json' },
  }
  for _, case in ipairs(accepted) do
    local file, root, why = case[1], case[2], case[3]
    local roots = roots_for(config, file)
    local name = file:sub(#scratch + 2)
    check(#roots == 1 and roots[1] == root, 'root_dir accepts ' .. name .. ' with root ' .. root:sub(#scratch + 2) .. ' (' .. why .. ')', vim.inspect(roots))
  end

  local refused = {
    scratch .. '/repo/server.js',
    scratch .. '/repo/index.mjs',
    scratch .. '/repo/ecosystem.js',
    scratch .. '/repo/ecosystem..config.js',
    scratch .. '/repo/my-ecosystem.config.js',
    scratch .. '/repo/ecosystem.config.ts',
    scratch .. '/repo/pm2.config.jsx',
    scratch .. '/repo/package.json',
    scratch .. '/repo/docker-compose.yml',
    scratch .. '/repo/my-ecosystem.yaml',
    scratch .. '/repo/processes.yaml',
    scratch .. '/repo/ecosystem.config.js.bak',
    scratch .. '/mono/ws/app/webpack.config.js',
  }
  for _, file in ipairs(refused) do
    local roots = roots_for(config, file)
    check(#roots == 0, 'root_dir refuses ' .. file:sub(#scratch + 2) .. ' (no on_dir call)', vim.inspect(roots))
  end
  check(#roots_for(config, '') == 0, 'root_dir refuses a buffer without a name')
end

checks.finish(run, 'lsp_config.lua')
